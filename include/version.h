/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_VERSION_H
#define POSTDESK_VERSION_H

#include <stdio.h>

/* Print postdesk's version and those of the libraries it runs with. */
void	version_print(FILE *);

/* Print the linked network libraries' versions (full binary only). */
void	version_print_net(FILE *);

#endif
