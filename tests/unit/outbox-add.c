/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "io.h"
#include "log.h"
#include "store.h"

/*
 * Test helper, not a test: queue one mail in the outbox the way
 * respond.c does, inside a transaction.
 *   outbox-add [-t] DB MAIL-FROM RCPT MESSAGE-ID < message
 * -t first creates a ticket for it (and prints its number).
 */
static int64_t
new_ticket(struct store *s, const char *rcpt)
{
	struct store_ticket t = {
		.subject = "outbox test", .requester = (char *)rcpt,
		.language = "en",
	};

	return store_ticket_create(s, &t) == -1 ? -1 : t.number;
}

int
main(int argc, char **argv)
{
	struct store *s;
	int64_t ticket = 0;
	bool with_ticket = argc > 1 && strcmp(argv[1], "-t") == 0;
	size_t len;
	char *raw;
	int rc = 1;

	argv += with_ticket;
	argc -= with_ticket;
	if (argc != 5) {
		fprintf(stderr, "usage: outbox-add [-t] DB MAIL-FROM RCPT "
		    "MESSAGE-ID < message\n");
		return 2;
	}
	log_init(LOG_SINK_STDERR, 0);
	if ((raw = io_read_fd(STDIN_FILENO, 0, &len)) == NULL ||
	    (s = store_open(argv[1], STORE_OPEN, 10000)) == NULL)
		return 1;
	if (store_begin(s) == 0 &&
	    (!with_ticket || (ticket = new_ticket(s, argv[3])) > 0) &&
	    store_outbox_add(s, ticket, 0, argv[2], argv[3], argv[4], raw,
	    len) == 0 && store_commit(s) == 0)
		rc = 0;
	else
		store_rollback(s);
	if (rc == 0 && with_ticket)
		printf("%lld\n", (long long)ticket);
	store_close(s);
	g_free(raw);
	return rc;
}
