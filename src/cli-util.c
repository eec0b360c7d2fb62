/* SPDX-License-Identifier: ISC */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "cli.h"
#include "jout.h"

int
cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

void
cli_rfc3339(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
}

char *
cli_actor(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL)
		return g_strconcat("admin:", pw->pw_name, NULL);
	return g_strdup_printf("admin:uid%lu", (unsigned long)getuid());
}

struct jout *
cli_time_json(int64_t t)
{
	char buf[32];

	if (t <= 0)
		return jout_null();
	cli_rfc3339(t, buf, sizeof(buf));
	return jout_str(buf);
}
