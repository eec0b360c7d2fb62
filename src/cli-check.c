/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "conf.h"
#include "respond.h"
#include "filter.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: postdesk [-c FILE] check [--help]\n\n"
	    "Read the configuration and every file it includes and report\n"
	    "each error as FILE:LINE: message on stderr (exit status 78);\n"
	    "otherwise print \"FILE: ok\" with the number of queues and\n"
	    "agents.  Every filter rule file it names is compiled and\n"
	    "checked too (errors as FILE:LINE:COL: message).  See\n"
	    "postdesk.conf(5).\n");
}

int
cli_check(int argc, char **argv, const struct cli_global *g)
{
	struct conf_diag diag = { 0 };
	struct conf *conf;
	struct filter_set *fs;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return EX_OK;
	}
	if (argc > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((conf = conf_load(g->conf_path, &diag)) == NULL) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.lines[i]);
		conf_diag_clear(&diag);
		return EX_CONFIG;
	}
	if ((fs = filter_load(conf, &diag)) == NULL) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.lines[i]);
		conf_diag_clear(&diag);
		conf_free(conf);
		return EX_CONFIG;
	}
	filter_free(fs);
	if (respond_check_templates(conf) == -1) {
		conf_free(conf);
		return EX_CONFIG;
	}
	printf("%s: ok (%zu queues, %zu agents)\n", g->conf_path,
	    conf->nqueues, conf->nagents);
	conf_free(conf);
	return EX_OK;
}
