/* SPDX-License-Identifier: ISC */
#include <stdio.h>

#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "version.h"

void
version_print_net(FILE *fp)
{
	fprintf(fp, "  libetpan %d.%d, GnuTLS %s\n",
	    libetpan_get_version_major(), libetpan_get_version_minor(),
	    gnutls_check_version(NULL));
}
