/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "token.h"

#define TOKEN_BYTES	10		/* 80 bits */
#define LOCAL_MAX	64		/* RFC 5321 local-part limit */

struct token_keys {
	unsigned char	cur[TOKEN_KEY_LEN];
	unsigned char	prev[TOKEN_KEY_LEN];
	bool		has_prev;
};

static const char *const purpose_names[] = {
	[TOKEN_REPLY] = "reply",
	[TOKEN_COMMENT] = "comment",
	[TOKEN_BOUNCE] = "bounce",
	[TOKEN_MSGID] = "message-id",
};

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

struct token_keys *
token_keys_new(const unsigned char cur[TOKEN_KEY_LEN],
    const unsigned char *prev)
{
	struct token_keys *k = g_new0(struct token_keys, 1);

	memcpy(k->cur, cur, TOKEN_KEY_LEN);
	if (prev != NULL) {
		memcpy(k->prev, prev, TOKEN_KEY_LEN);
		k->has_prev = true;
	}
	return k;
}

void
token_keys_free(struct token_keys *k)
{
	if (k == NULL)
		return;
	explicit_bzero(k, sizeof(*k));
	g_free(k);
}

static bool
hex_key(const char *line, unsigned char out[TOKEN_KEY_LEN])
{
	if (strlen(line) != 2 * TOKEN_KEY_LEN)
		return false;
	for (size_t i = 0; i < TOKEN_KEY_LEN; i++) {
		int hi = g_ascii_xdigit_value(line[2 * i]);
		int lo = g_ascii_xdigit_value(line[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

static bool
secret_private(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		log_warn("secret: %s", path);
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		log_warnx("secret: %s: readable by others (mode %04o); "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

struct token_keys *
token_keys_load(const char *path)
{
	unsigned char cur[TOKEN_KEY_LEN], prev[TOKEN_KEY_LEN];
	struct token_keys *k = NULL;
	char buf[512], **lines = NULL;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("secret: %s", path);
		return NULL;
	}
	if (!secret_private(path, fd))
		goto out;
	if ((n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		log_warn("secret: %s", path);
		goto out;
	}
	buf[n] = '\0';
	lines = g_strsplit_set(g_strstrip(buf), "\n", 3);
	if (lines[0] == NULL || !hex_key(g_strstrip(lines[0]), cur) ||
	    (lines[1] != NULL && !hex_key(g_strstrip(lines[1]), prev))) {
		log_warnx("secret: %s: expected 64 hex digits per line", path);
		goto out;
	}
	k = token_keys_new(cur, lines[1] != NULL ? prev : NULL);
out:
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(cur, sizeof(cur));
	g_strfreev(lines);
	close(fd);
	return k;
}

int
token_secret_create(const char *path)
{
	unsigned char key[TOKEN_KEY_LEN];
	char hex[2 * TOKEN_KEY_LEN + 2];
	int fd, ret = -1;

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		log_warn("secret: getrandom");
		return -1;
	}
	for (size_t i = 0; i < TOKEN_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * TOKEN_KEY_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("secret: %s", path);
		goto out;
	}
	if (write(fd, hex, 2 * TOKEN_KEY_LEN + 1) != 2 * TOKEN_KEY_LEN + 1 ||
	    fsync(fd) == -1)
		log_warn("secret: %s", path);
	else
		ret = 0;
	close(fd);
out:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(hex, sizeof(hex));
	return ret;
}

static void
put_field(GHmac *h, const char *s)
{
	size_t n = strlen(s);
	guchar len[4] = { n >> 24 & 0xff, n >> 16 & 0xff, n >> 8 & 0xff,
	    n & 0xff };

	g_hmac_update(h, len, sizeof(len));
	g_hmac_update(h, (const guchar *)s, n);
}

static void
mac(const unsigned char key[TOKEN_KEY_LEN], enum token_purpose p,
    int64_t ticket, const char *address, char out[TOKEN_LEN + 1])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, TOKEN_KEY_LEN);
	guint8 d[32];
	gsize dlen = sizeof(d);
	char num[24], *lower = g_ascii_strdown(address, -1);
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	snprintf(num, sizeof(num), "%" PRId64, ticket);
	put_field(h, "v1");
	put_field(h, purpose_names[p]);
	put_field(h, num);
	put_field(h, lower);
	g_hmac_get_digest(h, d, &dlen);
	g_hmac_unref(h);
	g_free(lower);
	for (size_t i = 0; i < TOKEN_BYTES; i++) {
		acc = acc << 8 | d[i];
		for (bits += 8; bits >= 5; bits -= 5)
			out[o++] = b32[acc >> (bits - 5) & 31];
	}
	out[o] = '\0';
}

void
token_make(const struct token_keys *k, enum token_purpose p, int64_t ticket,
    const char *address, char out[TOKEN_LEN + 1])
{
	mac(k->cur, p, ticket, address, out);
}

static bool
equal_ct(const char *a, const char *b)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < TOKEN_LEN; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

bool
token_check(const struct token_keys *k, enum token_purpose p, int64_t ticket,
    const char *address, const char *token)
{
	char want[TOKEN_LEN + 1], got[TOKEN_LEN + 1];
	bool ok;

	if (strlen(token) != TOKEN_LEN)
		return false;
	for (size_t i = 0; i <= TOKEN_LEN; i++)
		got[i] = g_ascii_tolower(token[i]);
	mac(k->cur, p, ticket, address, want);
	ok = equal_ct(want, got);
	if (k->has_prev) {
		mac(k->prev, p, ticket, address, want);
		ok |= equal_ct(want, got);
	}
	return ok;
}

char *
token_address(const char *base, int64_t ticket, const char *token)
{
	const char *at = strrchr(base, '@');
	char *addr;

	if (at == NULL)
		return NULL;
	addr = g_strdup_printf("%.*s+t%" PRId64 ".%s%s", (int)(at - base),
	    base, ticket, token, at);
	if (strchr(addr, '@') - addr > LOCAL_MAX) {
		g_free(addr);
		return NULL;
	}
	return addr;
}

static bool
is_token(const char *s, size_t n)
{
	if (n != TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr(b32, g_ascii_tolower(s[i])) == NULL || s[i] == '\0')
			return false;
	return true;
}

bool
token_address_parse(const char *addr, char **base, int64_t *ticket,
    char token[TOKEN_LEN + 1])
{
	const char *at = strrchr(addr, '@'), *plus, *dot;
	char *end;

	*base = NULL;
	if (at == NULL || (plus = memchr(addr, '+', (size_t)(at - addr))) ==
	    NULL || g_ascii_tolower(plus[1]) != 't')
		return false;
	if ((dot = memchr(plus, '.', (size_t)(at - plus))) == NULL ||
	    !is_token(dot + 1, (size_t)(at - dot - 1)))
		return false;
	/* Only the canonical form: "t12", never "t012" or "t+12". */
	if (!g_ascii_isdigit(plus[2]) || plus[2] == '0')
		return false;
	errno = 0;
	*ticket = g_ascii_strtoll(plus + 2, &end, 10);
	if (end != dot || end == plus + 2 || errno != 0 || *ticket <= 0)
		return false;
	for (size_t i = 0; i < TOKEN_LEN; i++)
		token[i] = g_ascii_tolower(dot[1 + i]);
	token[TOKEN_LEN] = '\0';
	*base = g_strdup_printf("%.*s%s", (int)(plus - addr), addr, at);
	return true;
}

char *
token_message_id(const struct token_keys *k, int64_t ticket,
    const char *nonce, const char *domain)
{
	char tok[TOKEN_LEN + 1];

	mac(k->cur, TOKEN_MSGID, ticket, nonce, tok);
	return g_strdup_printf("pd.%" PRId64 ".%s.%s@%s", ticket,
	    *nonce != '\0' ? nonce : "root", tok, domain);
}

bool
token_message_id_check(const struct token_keys *k, const char *id,
    int64_t *ticket)
{
	char **f;
	char *end;
	bool ok = false;

	if (strncmp(id, "pd.", 3) != 0)
		return false;
	f = g_strsplit_set(id + 3, ".@", 4);
	if (g_strv_length(f) == 4 && is_token(f[2], strlen(f[2]))) {
		*ticket = g_ascii_strtoll(f[0], &end, 10);
		ok = *end == '\0' && end != f[0] && *ticket > 0 &&
		    token_check(k, TOKEN_MSGID, *ticket,
		    strcmp(f[1], "root") == 0 ? "" : f[1], f[2]);
	}
	g_strfreev(f);
	return ok;
}
