/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_TOKEN_H
#define POSTDESK_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Signed tokens: HMAC-SHA256 under the secret over a length-prefixed
 * ("v1", purpose, ticket, address), truncated to 80 bits, base32 lower
 * case (16 characters).  Each purpose signs something different, so a
 * token for one purpose is worthless for another.  The secret file
 * holds the current key (64 hex digits) on its first line and,
 * optionally, the previous key on the second: tokens under either
 * verify, new ones use the current key.
 *
 * Reply address:  <local>+t<ticket>.<token>@<domain>
 * Our Message-ID: pd.<ticket>.<nonce>.<token>@<domain>, the token over
 *                 (message-id, ticket, nonce).
 */

#define TOKEN_LEN	16		/* 80 bits in base32 */
#define TOKEN_KEY_LEN	32

enum token_purpose {
	TOKEN_REPLY,
	TOKEN_COMMENT,
	TOKEN_BOUNCE,
	TOKEN_MSGID,
};

struct token_keys;

/* Read the secret file; NULL (logged) when missing, unreadable, not
 * 0600-private or malformed. */
struct token_keys *token_keys_load(const char *path);
/* Keys from raw bytes (tests). prev may be NULL. */
struct token_keys *token_keys_new(const unsigned char cur[TOKEN_KEY_LEN],
		    const unsigned char *prev);
void		 token_keys_free(struct token_keys *);

/* Write a new secret file with 256 random bits, mode 0600; refuses to
 * overwrite.  0 / -1 (logged). */
int		 token_secret_create(const char *path);

/* The token for (purpose, ticket, address); address is lower-cased. */
void		 token_make(const struct token_keys *, enum token_purpose,
		    int64_t ticket, const char *address,
		    char out[TOKEN_LEN + 1]);
/* Constant-time, case-insensitive check under the current and the
 * previous key. */
bool		 token_check(const struct token_keys *, enum token_purpose,
		    int64_t ticket, const char *address, const char *token);

/* "support@example.org" + ticket + token -> a new string
 * "support+t42.TOKEN@example.org"; NULL when the local part would pass
 * 64 characters. */
char		*token_address(const char *base, int64_t ticket,
		    const char *token);

/*
 * Split "local+t42.TOKEN@domain": base gets "local@domain" (new string),
 * *ticket 42, token the TOKEN (lower-cased).  false when the address
 * carries no well-formed token (base is then NULL).
 */
bool		 token_address_parse(const char *addr, char **base,
		    int64_t *ticket, char token[TOKEN_LEN + 1]);

/* A new Message-ID (without <>) of ours for ticket; nonce "" for the
 * ticket's root id. */
char		*token_message_id(const struct token_keys *, int64_t ticket,
		    const char *nonce, const char *domain);
/* True when id is one of ours with a valid HMAC; *ticket gets its
 * ticket. */
bool		 token_message_id_check(const struct token_keys *,
		    const char *id, int64_t *ticket);

#endif
