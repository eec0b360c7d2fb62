/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <libetpan/libetpan.h>

#include "io.h"
#include "log.h"
#include "smtp.h"
#include "tls.h"

#define SMTP_TIMEOUT	60	/* seconds for connect and each reply */
#define PASSWORD_MAX	4096

struct smtp {
	const struct conf_transport *t;	/* outlives the session */
	char		*where;		/* "HOST:PORT" for messages */
	mailsmtp	*s;		/* NULL: not connected */
	bool		 tls;		/* encrypted and verified */
	bool		 used;		/* a mail went: RSET first */
};

/* What we say about a failure: "smtp: HOST:PORT: what: why". */
static char * __attribute__((format(printf, 2, 3)))
say(const struct smtp *c, const char *fmt, ...)
{
	va_list ap;
	char *what, *msg;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	msg = g_strdup_printf("smtp: %s: %s", c->where, what);
	g_free(what);
	return msg;
}

/* The server's last reply, "550 5.1.1 unknown" on one line. */
static char *
server_reply(const struct smtp *c, int err)
{
	const char *text = c->s != NULL ? c->s->response : NULL;
	char *r;

	if (c->s == NULL || c->s->response_code == 0 ||
	    err == MAILSMTP_ERROR_STREAM)
		return g_strdup(mailsmtp_strerror(err));
	r = g_strdup_printf("%d %s", c->s->response_code,
	    text != NULL ? text : "");
	g_strstrip(g_strdelimit(r, "\r\n", ' '));
	return r;
}

static void
close_conn(struct smtp *c, bool quit)
{
	if (c->s == NULL)
		return;
	if (quit)
		mailsmtp_quit(c->s);
	mailsmtp_free(c->s);
	c->s = NULL;
	c->tls = c->used = false;
}

/* SNI, for a name (RFC 6066: never an address). */
static void
set_sni(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	if (!g_hostname_is_ip_address(host))
		mailstream_ssl_set_server_name(ctx, (char *)host);
}

/* The peer's chain against the CA file (or the system store) and the
 * host name, before anything is sent over the connection. */
static char *
verify(struct smtp *c)
{
	struct tls_cert certs[TLS_CHAIN_MAX];
	carray *chain;
	char err[512];
	unsigned n;
	int r;

	chain = mailstream_get_certificate_chain(c->s->stream);
	if (chain == NULL || carray_count(chain) == 0) {
		if (chain != NULL)
			mailstream_certificate_chain_free(chain);
		return say(c, "certificate not trusted: the server sent no "
		    "certificate");
	}
	n = carray_count(chain);
	for (unsigned i = 0; i < n && i < TLS_CHAIN_MAX; i++) {
		MMAPString *der = carray_get(chain, i);

		certs[i] = (struct tls_cert){
			.der = (const unsigned char *)der->str, .len = der->len,
		};
	}
	r = tls_verify_chain(certs, n, c->t->host, c->t->ca_file, err,
	    sizeof(err));
	mailstream_certificate_chain_free(chain);
	if (r == -1)
		return say(c, "certificate not trusted: %s", err);
	c->tls = true;
	return NULL;
}

/* EHLO, or HELO from a server that knows no EHLO. */
static char *
greet(struct smtp *c)
{
	int r = mailesmtp_ehlo(c->s);

	if (r == MAILSMTP_ERROR_NOT_IMPLEMENTED)
		r = mailsmtp_helo(c->s);
	if (r != MAILSMTP_NO_ERROR) {
		char *reply = server_reply(c, r);
		char *msg = say(c, "EHLO: %s", reply);

		g_free(reply);
		return msg;
	}
	return NULL;
}

static char *
starttls(struct smtp *c)
{
	char *reply, *msg;
	int r;

	if (!(c->s->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
		if (c->t->tls == CONF_TLS_OPPORTUNISTIC)
			return NULL;
		return say(c, "the server offers no STARTTLS (tls starttls "
		    "requires it)");
	}
	r = mailsmtp_socket_starttls_with_callback(c->s, set_sni, c->t->host);
	if (r != MAILSMTP_NO_ERROR) {
		reply = server_reply(c, r);
		msg = say(c, "STARTTLS: %s", reply);
		g_free(reply);
		return msg;
	}
	if ((msg = verify(c)) != NULL)
		return msg;
	/* The capabilities before STARTTLS are void (RFC 3207). */
	return greet(c);
}

/* The first line of the password file; NULL (with *why) on error. */
static char *
password(const struct smtp *c, char **why)
{
	size_t len;
	char *p = io_read_path(c->t->password_file, PASSWORD_MAX, &len);

	if (p == NULL) {
		*why = say(c, "password-file %s: cannot read it",
		    c->t->password_file);
		return NULL;
	}
	p[strcspn(p, "\r\n")] = '\0';
	return p;
}

static const char *
auth_mechanism(const struct smtp *c)
{
	if (c->s->auth & MAILSMTP_AUTH_PLAIN)
		return "PLAIN";
	if (c->s->auth & MAILSMTP_AUTH_LOGIN)
		return "LOGIN";
	return NULL;
}

static char *
authenticate(struct smtp *c)
{
	const char *mech;
	char *pass, *reply, *why = NULL;
	int r;

	if (*c->t->user == '\0')
		return NULL;
	if (!c->tls && !g_str_has_prefix(c->t->host, "127.") &&
	    strcmp(c->t->host, "::1") != 0 &&
	    strcmp(c->t->host, "localhost") != 0)
		return say(c, "AUTH: refusing to send the password without "
		    "TLS");
	if ((mech = auth_mechanism(c)) == NULL)
		return say(c, "AUTH: the server offers neither PLAIN nor "
		    "LOGIN%s", c->tls ? "" : " (before TLS)");
	if ((pass = password(c, &why)) == NULL)
		return why;
	r = mailesmtp_auth_sasl(c->s, mech, c->t->host, NULL, NULL,
	    c->t->user, c->t->user, pass, NULL);
	memset(pass, 0, strlen(pass));
	g_free(pass);
	if (r == MAILSMTP_NO_ERROR)
		return NULL;
	reply = server_reply(c, r);
	why = say(c, "AUTH %s as %s: %s", mech, c->t->user, reply);
	g_free(reply);
	return why;
}

static char *
open_conn(struct smtp *c)
{
	uint16_t port = (uint16_t)c->t->port;
	char *reply, *msg;
	int r;

	if (port == 0)
		port = c->t->tls == CONF_TLS_IMPLICIT ? 465 : 25;
	c->s = mailsmtp_new(0, NULL);
	if (c->s == NULL)
		return say(c, "out of memory");
	mailsmtp_set_timeout(c->s, SMTP_TIMEOUT);
	if (c->t->tls == CONF_TLS_IMPLICIT)
		r = mailsmtp_ssl_connect_with_callback(c->s, c->t->host, port,
		    set_sni, c->t->host);
	else
		r = mailsmtp_socket_connect(c->s, c->t->host, port);
	if (r == MAILSMTP_NO_ERROR)
		return NULL;
	reply = server_reply(c, r);
	msg = say(c, "connect: %s", reply);
	g_free(reply);
	return msg;
}

/* Connected, verified, greeted and authenticated, or why not. */
static char *
connect_session(struct smtp *c)
{
	char *why;

	if ((why = open_conn(c)) != NULL)
		return why;
	if (c->t->tls == CONF_TLS_IMPLICIT && (why = verify(c)) != NULL)
		return why;
	if ((why = greet(c)) != NULL)
		return why;
	if ((c->t->tls == CONF_TLS_STARTTLS ||
	    c->t->tls == CONF_TLS_OPPORTUNISTIC) &&
	    (why = starttls(c)) != NULL)
		return why;
	if ((why = authenticate(c)) != NULL)
		return why;
	log_debug("smtp: %s: connected%s%s", c->where,
	    c->tls ? ", TLS verified" : ", no TLS",
	    *c->t->user != '\0' ? ", authenticated" : "");
	return NULL;
}

/* A command's failure: the status and "smtp: HOST: CMD: reply".  Before
 * RCPT (RSET, MAIL FROM) any failure is the transport's; a 5xx to RCPT
 * or DATA is this mail's, with the reply alone in r->refusal. */
static enum transport_status
refused(struct smtp *c, int err, const char *cmd, bool per_mail,
    struct transport_reply *r)
{
	char *text = server_reply(c, err);
	int code = c->s->response_code;

	r->text = say(c, "%s: %s", cmd, text);
	if (err == MAILSMTP_ERROR_STREAM || err == MAILSMTP_ERROR_SSL ||
	    err == MAILSMTP_ERROR_MEMORY || code == 421 || !per_mail) {
		close_conn(c, !per_mail && code != 421 &&
		    err != MAILSMTP_ERROR_STREAM && err != MAILSMTP_ERROR_SSL);
		g_free(text);
		return TRANSPORT_DOWN;
	}
	if (code < 500 || code >= 600) {
		g_free(text);
		return TRANSPORT_TRANSIENT;
	}
	r->refusal = text;
	return TRANSPORT_PERMANENT;
}

/* libetpan ends DATA with CRLF "." CRLF: the mail's own last line
 * break would become an extra empty line. */
static size_t
body_len(const struct store_outbox *o)
{
	size_t n = o->raw_len;

	if (n > 0 && o->raw[n - 1] == '\n')
		n--;
	if (n > 0 && o->raw[n - 1] == '\r')
		n--;
	return n;
}

static enum transport_status
transaction(struct smtp *c, const struct store_outbox *o,
    struct transport_reply *r)
{
	enum transport_status st;
	char *cmd;
	bool per_mail = false;
	int e;

	if (c->used && (e = mailsmtp_reset(c->s)) != MAILSMTP_NO_ERROR)
		return refused(c, e, "RSET", false, r);
	c->used = true;
	if ((e = mailsmtp_mail(c->s, o->mail_from)) != MAILSMTP_NO_ERROR) {
		cmd = g_strdup_printf("MAIL FROM:<%s>", o->mail_from);
		goto fail;
	}
	per_mail = true;
	if ((e = mailsmtp_rcpt(c->s, o->rcpt)) != MAILSMTP_NO_ERROR) {
		cmd = g_strdup_printf("RCPT TO:<%s>", o->rcpt);
		goto fail;
	}
	if ((e = mailsmtp_data(c->s)) != MAILSMTP_NO_ERROR) {
		cmd = g_strdup("DATA");
		goto fail;
	}
	/* Converts LF to CRLF and dot-stuffs; 0 only after the 250. */
	if ((e = mailsmtp_data_message(c->s, o->raw, body_len(o))) !=
	    MAILSMTP_NO_ERROR) {
		cmd = g_strdup("end of DATA");
		goto fail;
	}
	r->text = server_reply(c, e);
	return TRANSPORT_SENT;
fail:
	st = refused(c, e, cmd, per_mail, r);
	g_free(cmd);
	return st;
}

static enum transport_status
smtp_send(void *arg, const struct store_outbox *o, struct transport_reply *r)
{
	struct smtp *c = arg;

	if (c->s == NULL && (r->text = connect_session(c)) != NULL) {
		log_warnx("%s", r->text);
		close_conn(c, false);
		return TRANSPORT_DOWN;
	}
	return transaction(c, o, r);
}

static void *
smtp_open(const struct conf_transport *t)
{
	struct smtp *c;

	if (t->host == NULL || *t->host == '\0') {
		log_warnx("smtp: no host configured");
		return NULL;
	}
	c = g_new0(struct smtp, 1);
	c->t = t;
	c->where = g_strdup_printf(strchr(t->host, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", t->host, t->port != 0 ? t->port :
	    t->tls == CONF_TLS_IMPLICIT ? 465 : 25);
	return c;
}

static void
smtp_close(void *arg)
{
	struct smtp *c = arg;

	if (c == NULL)
		return;
	close_conn(c, true);
	g_free(c->where);
	g_free(c);
}

const struct transport_ops smtp_transport = {
	.name = "smtp",
	.open = smtp_open,
	.send = smtp_send,
	.close = smtp_close,
};
