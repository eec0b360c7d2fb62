/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libetpan/libetpan.h>

#include "imap.h"
#include "log.h"
#include "mailurl.h"
#include "tls.h"
#include "uidstate.h"

struct imap {
	mailimap		*s;
	const struct imap_opts	*opts;		/* during connect only */
	char			*who;		/* "user@host" for messages */
	char			*host;
	enum imap_fail		 fail;
	bool			 warned_uidplus;
};

/* What went wrong, in words: the server's text where it said something. */
static const char *
why(const struct imap *im, int r)
{
	const char *resp = im->s != NULL ? im->s->imap_response : NULL;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		return "connection lost";
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "cannot connect";
	case MAILIMAP_ERROR_PARSE:
		return "cannot parse the server's answer";
	case MAILIMAP_ERROR_MEMORY:
		return "out of memory";
	default:
		return resp != NULL && *resp != '\0' ? resp : "refused";
	}
}

static int __attribute__((format(printf, 4, 5)))
fail(struct imap *im, enum imap_fail kind, int r, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* A stream error is the network's, whatever the command. */
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_CONNECTION_REFUSED)
		kind = IMAP_FAIL_NET;
	im->fail = kind;
	log_warnx("imap: %s: %s: %s", im->who, what, why(im, r));
	g_free(what);
	return -1;
}

enum imap_fail
imap_last_fail(const struct imap *im)
{
	return im->fail;
}

static bool
is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/* SNI: a host name, never an address (RFC 6066). */
static void
tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	struct imap *im = data;

	if (!is_address(im->host))
		mailstream_ssl_set_server_name(ctx, im->host);
}

static int
verify_peer(struct imap *im)
{
	struct tls_cert certs[TLS_CHAIN_MAX];
	char err[512];
	carray *chain;
	size_t n;
	int r;

	chain = mailstream_get_certificate_chain(im->s->imap_stream);
	if (chain == NULL) {
		im->fail = IMAP_FAIL_TLS;
		log_warnx("imap: %s: TLS: the server sent no certificate",
		    im->who);
		return -1;
	}
	n = carray_count(chain);
	for (size_t i = 0; i < n && i < TLS_CHAIN_MAX; i++) {
		MMAPString *der = carray_get(chain, (unsigned)i);

		certs[i] = (struct tls_cert){
			.der = (const unsigned char *)der->str,
			.len = der->len,
		};
	}
	r = tls_verify_chain(certs, n, im->host, im->opts->ca_file, err,
	    sizeof(err));
	mailstream_certificate_chain_free(chain);
	if (r == -1) {
		im->fail = IMAP_FAIL_TLS;
		log_warnx("imap: %s: TLS: %s", im->who, err);
	}
	return r;
}

static int
open_stream(struct imap *im)
{
	const struct imap_opts *o = im->opts;
	int r;

	if (o->tls == CONF_TLS_IMPLICIT)
		r = mailimap_ssl_connect_with_callback(im->s, o->host,
		    (uint16_t)o->port, tls_setup, im);
	else
		r = mailimap_socket_connect(im->s, o->host, (uint16_t)o->port);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return fail(im, r == MAILIMAP_ERROR_SSL ? IMAP_FAIL_TLS :
		    IMAP_FAIL_NET, r, "connect to port %u", o->port);
	if (o->tls == CONF_TLS_STARTTLS) {
		r = mailimap_socket_starttls_with_callback(im->s, tls_setup, im);
		if (r != MAILIMAP_NO_ERROR)
			return fail(im, IMAP_FAIL_TLS, r, "STARTTLS failed");
	}
	if (o->tls != CONF_TLS_NONE)
		return verify_peer(im);
	return 0;
}

static int
login(struct imap *im)
{
	struct mailimap_capability_data *caps = NULL;
	int r;

	r = mailimap_login(im->s, im->opts->user, im->opts->password);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_LOGIN, r, "login failed");
	/* The capabilities after login are the ones that count. */
	r = mailimap_capability(im->s, &caps);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "CAPABILITY failed");
	mailimap_capability_data_free(caps);
	return 0;
}

struct imap *
imap_connect(const struct imap_opts *o, enum imap_fail *fail_kind)
{
	struct imap *im = g_new0(struct imap, 1);

	im->opts = o;
	im->host = g_strdup(o->host);
	im->who = g_strdup_printf("%s@%s", o->user, o->host);
	if (o->tls == CONF_TLS_NONE && !mailurl_is_loopback(o->host)) {
		log_warnx("imap: %s: plain text refused: only to a loopback "
		    "address (127.0.0.0/8, ::1); use imaps:// or STARTTLS",
		    im->who);
		im->fail = IMAP_FAIL_TLS;
		goto err;
	}
	im->s = mailimap_new(0, NULL);
	if (im->s == NULL) {
		im->fail = IMAP_FAIL_NET;
		log_warnx("imap: %s: out of memory", im->who);
		goto err;
	}
	mailimap_set_timeout(im->s, o->timeout > 0 ? o->timeout : 60);
	if (open_stream(im) == -1 || login(im) == -1)
		goto err;
	im->opts = NULL;
	*fail_kind = IMAP_FAIL_NONE;
	return im;
err:
	*fail_kind = im->fail;
	imap_close(im);
	return NULL;
}

void
imap_close(struct imap *im)
{
	if (im == NULL)
		return;
	if (im->s != NULL) {
		if (im->s->imap_stream != NULL && im->fail != IMAP_FAIL_NET)
			mailimap_logout(im->s);
		mailimap_free(im->s);
	}
	g_free(im->who);
	g_free(im->host);
	g_free(im);
}

int
imap_select(struct imap *im, const char *mailbox, int64_t *uidvalidity)
{
	int r = mailimap_select(im->s, mailbox);

	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "select %s", mailbox);
	if (im->s->imap_selection_info == NULL ||
	    im->s->imap_selection_info->sel_uidvalidity == 0) {
		im->fail = IMAP_FAIL_SERVER;
		log_warnx("imap: %s: select %s: no UIDVALIDITY", im->who,
		    mailbox);
		return -1;
	}
	*uidvalidity = im->s->imap_selection_info->sel_uidvalidity;
	return 0;
}

/* A UID set from an ascending list, runs as ranges: 1:40,42,50:61 */
static struct mailimap_set *
uid_set(const int64_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	for (size_t i = 0; set != NULL && i < n; i++) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (mailimap_set_add_interval(set, (uint32_t)uids[i],
		    (uint32_t)uids[j]) != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
		i = j;
	}
	return set;
}

static struct mailimap_search_key *
flag_key(int type)
{
	return mailimap_search_key_new(type, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
	    NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL);
}

/* The search result as an ascending list, UIDs below from left out. */
static void
take_uids(clist *res, int64_t from, int64_t **uids, size_t *n)
{
	int64_t *v = calloc(clist_count(res) + 1, sizeof(*v));
	size_t k = 0;

	if (v == NULL)
		fatal("imap: search result");
	for (clistiter *it = clist_begin(res); it != NULL; it = clist_next(it)) {
		uint32_t *u = clist_content(it);

		if (u != NULL && *u >= from)
			v[k++] = *u;
	}
	qsort(v, k, sizeof(*v), uidstate_cmp);
	*uids = v;
	*n = k;
}

int
imap_search(struct imap *im, enum imap_search what, int64_t from,
    int64_t **uids, size_t *n)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	int r;

	*uids = NULL;
	*n = 0;
	if (what == IMAP_SEARCH_FROM)
		key = mailimap_search_key_new_uid(mailimap_set_new_interval(
		    (uint32_t)(from > 0 ? from : 1), 0));
	else
		key = flag_key(what == IMAP_SEARCH_UNSEEN ?
		    MAILIMAP_SEARCH_KEY_UNSEEN : MAILIMAP_SEARCH_KEY_UNDELETED);
	if (key == NULL)
		fatal("imap: search key");
	r = mailimap_uid_search(im->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "UID SEARCH");
	take_uids(res, what == IMAP_SEARCH_FROM ? from : 0, uids, n);
	mailimap_search_result_free(res);
	return 0;
}

/* One FETCH response into m; false when it carries no UID. */
static bool
take_msg(struct mailimap_msg_att *ma, struct imap_msg *m)
{
	*m = (struct imap_msg){ .size = -1 };
	for (clistiter *it = clist_begin(ma->att_list); it != NULL;
	    it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID)
			m->uid = st->att_data.att_uid;
		else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
			m->size = st->att_data.att_rfc822_size;
		else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
		    m->raw == NULL) {
			struct mailimap_msg_att_body_section *b =
			    st->att_data.att_body_section;

			m->len = b->sec_length;
			m->raw = g_memdup2(b->sec_body_part != NULL ?
			    b->sec_body_part : "", m->len + 1);
			m->raw[m->len] = '\0';
		}
	}
	return m->uid != 0;
}

static struct mailimap_fetch_type *
fetch_type(bool body)
{
	struct mailimap_fetch_type *ft;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size()) != MAILIMAP_NO_ERROR ||
	    (body && mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(
	    mailimap_section_new(NULL))) != MAILIMAP_NO_ERROR))
		fatal("imap: fetch type");
	return ft;
}

int
imap_fetch(struct imap *im, const int64_t *uids, size_t n, bool body,
    struct imap_msg **msgs, size_t *nmsgs)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	size_t k = 0;
	int r;

	*msgs = NULL;
	*nmsgs = 0;
	if (n == 0)
		return 0;
	if ((set = uid_set(uids, n)) == NULL)
		fatal("imap: uid set");
	ft = fetch_type(body);
	r = mailimap_uid_fetch(im->s, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "UID FETCH");
	*msgs = g_new0(struct imap_msg, clist_count(res) + 1);
	for (clistiter *it = clist_begin(res); it != NULL; it = clist_next(it))
		if (take_msg(clist_content(it), &(*msgs)[k]))
			k++;
		else
			g_free((*msgs)[k].raw);
	*nmsgs = k;
	mailimap_fetch_list_free(res);
	return 0;
}

void
imap_msgs_free(struct imap_msg *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		g_free(v[i].raw);
	g_free(v);
}

static int
add_flag(struct imap *im, const int64_t *uids, size_t n,
    struct mailimap_flag *flag, const char *name)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	struct mailimap_set *set;
	int r;

	if (fl == NULL || flag == NULL ||
	    mailimap_flag_list_add(fl, flag) != MAILIMAP_NO_ERROR ||
	    (sa = mailimap_store_att_flags_new_add_flags_silent(fl)) == NULL ||
	    (set = uid_set(uids, n)) == NULL)
		fatal("imap: store flags");
	r = mailimap_uid_store(im->s, set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "UID STORE +FLAGS (%s)",
		    name);
	return 0;
}

int
imap_mark_seen(struct imap *im, const int64_t *uids, size_t n)
{
	if (n == 0)
		return 0;
	return add_flag(im, uids, n, mailimap_flag_new_seen(), "\\Seen");
}

int
imap_delete(struct imap *im, const int64_t *uids, size_t n)
{
	struct mailimap_set *set;
	int r;

	if (n == 0)
		return 0;
	if (add_flag(im, uids, n, mailimap_flag_new_deleted(), "\\Deleted") ==
	    -1)
		return -1;
	if (!mailimap_has_uidplus(im->s)) {
		if (!im->warned_uidplus)
			log_warnx("imap: %s: no UIDPLUS: messages flagged "
			    "\\Deleted but not expunged", im->who);
		im->warned_uidplus = true;
		return 0;
	}
	if ((set = uid_set(uids, n)) == NULL)
		fatal("imap: uid set");
	r = mailimap_uid_expunge(im->s, set);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "UID EXPUNGE");
	return 0;
}

/* MOVE, or COPY when the server has no MOVE; r as libetpan says. */
static int
move_or_copy(struct imap *im, const int64_t *uids, size_t n,
    const char *folder, bool move)
{
	struct mailimap_set *set;
	int r;

	if ((set = uid_set(uids, n)) == NULL)
		fatal("imap: uid set");
	if (move)
		r = mailimap_uid_move(im->s, set, folder);
	else
		r = mailimap_uid_copy(im->s, set, folder);
	mailimap_set_free(set);
	return r;
}

int
imap_move(struct imap *im, const int64_t *uids, size_t n, const char *folder)
{
	bool move = mailimap_has_extension(im->s, "MOVE");
	int r;

	if (n == 0)
		return 0;
	r = move_or_copy(im, uids, n, folder, move);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_ERROR_STREAM) {
		/* Most likely [TRYCREATE]: the folder is not there yet. */
		if (mailimap_create(im->s, folder) == MAILIMAP_NO_ERROR)
			log_info("imap: %s: created folder %s", im->who,
			    folder);
		r = move_or_copy(im, uids, n, folder, move);
	}
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "UID %s to %s",
		    move ? "MOVE" : "COPY", folder);
	return move ? 0 : imap_delete(im, uids, n);
}

bool
imap_has_idle(struct imap *im)
{
	return mailimap_has_idle(im->s) != 0;
}

int
imap_idle(struct imap *im, int timeout_ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int r, changed = 0;

	if ((r = mailimap_idle(im->s)) != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_SERVER, r, "IDLE");
	/* What came with the "+ idling" is already in libetpan's buffer,
	 * where poll() cannot see it. */
	if (im->s->imap_stream->read_buffer_len > 0)
		changed = 1;
	else {
		pfd.fd = mailimap_idle_get_fd(im->s);
		r = poll(&pfd, 1, timeout_ms);
		if (r == -1 && errno != EINTR)
			log_warn("imap: %s: poll", im->who);
		changed = r > 0;
	}
	if ((r = mailimap_idle_done(im->s)) != MAILIMAP_NO_ERROR)
		return fail(im, IMAP_FAIL_NET, r, "IDLE DONE");
	return changed;
}
