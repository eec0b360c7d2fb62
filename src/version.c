/* SPDX-License-Identifier: ISC */
#include <stdio.h>

#include "charset.h"
#include "html.h"
#include "parse.h"
#include "store.h"
#include "version.h"

void
version_print(FILE *fp)
{
	fprintf(fp, "postdesk %s\n", POSTDESK_VERSION);
	fprintf(fp, "  %s\n  %s\n  %s\n  %s\n", parse_lib_version(),
	    store_lib_version(), html_lib_version(), charset_lib_version());
}
