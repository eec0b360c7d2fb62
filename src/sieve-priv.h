/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_SIEVE_PRIV_H
#define POSTDESK_SIEVE_PRIV_H

/*
 * Inside the Sieve engine: tokens (sieve-lex.c), the syntax tree
 * (sieve-parse.c), the compiled tree (sieve-valid.c) that the evaluator
 * (sieve-eval.c) runs.  Nothing here leaves the sieve-*.c files.
 */

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "sieve.h"

/* More errors than this in one file end its compilation. */
#define SV_MAX_ERRORS	50
/* Blocks and tests nested deeper than this are an error. */
#define SV_MAX_DEPTH	32

/* Diagnostics of one compilation. */
struct sv_diag {
	const char	*name;		/* the script's name */
	struct conf_diag *out;		/* may be NULL */
	unsigned	 n;		/* errors so far */
	unsigned	 line, col;	/* of the last one */
};

void	sv_error(struct sv_diag *, unsigned line, unsigned col,
	    const char *fmt, ...) G_GNUC_PRINTF(4, 5);
bool	sv_too_many(const struct sv_diag *);

/* Lexer. */

enum sv_tok {
	SV_TOK_EOF,
	SV_TOK_IDENT,		/* text lower-cased */
	SV_TOK_TAG,		/* text without ':', lower-cased */
	SV_TOK_NUMBER,
	SV_TOK_STRING,		/* quoted or text: */
	SV_TOK_LBRACKET, SV_TOK_RBRACKET,
	SV_TOK_LPAREN, SV_TOK_RPAREN,
	SV_TOK_LBRACE, SV_TOK_RBRACE,
	SV_TOK_COMMA, SV_TOK_SEMICOLON,
};

struct sv_token {
	enum sv_tok	 kind;
	const char	*text;		/* ident, tag, string (in the
					   script's arena); else NULL */
	uint64_t	 num;
	unsigned	 line, col;
};

/* All tokens of text, ending with SV_TOK_EOF; their strings go into
 * arena.  Lexical errors go to d and the bad input is skipped.  Free
 * with sv_tokens_free(). */
GArray	*sv_lex(const char *text, size_t len, GStringChunk *arena,
	    struct sv_diag *d);
void	 sv_tokens_free(GArray *);
const char *sv_tok_name(enum sv_tok);

/* Syntax tree. */

enum sv_arg_kind {
	SV_ARG_TAG,
	SV_ARG_NUMBER,
	SV_ARG_STRINGS,		/* one string or a list */
};

struct sv_str {
	const char	*s;
	unsigned	 line, col;
};

struct sv_arg {
	enum sv_arg_kind kind;
	unsigned	 line, col;
	const char	*tag;
	uint64_t	 num;
	struct sv_str	*strs;
	guint		 nstrs;
	bool		 is_list;	/* written in brackets */
};

struct sv_node {
	const char	*name;
	unsigned	 line, col;
	struct sv_arg	*args;
	guint		 nargs;
	struct sv_node	**tests;
	guint		 ntests;
	bool		 test_list;	/* tests were in parentheses */
	GPtrArray	*block;		/* struct sv_node *, NULL: none */
};

/* The commands of a script (struct sv_node *), or NULL when the syntax
 * was broken (errors in d). */
GPtrArray *sv_parse(GArray *tokens, struct sv_diag *d);
void	 sv_node_free(gpointer);

/* Compiled tree. */

enum sv_match { SV_MATCH_IS, SV_MATCH_CONTAINS, SV_MATCH_MATCHES,
	SV_MATCH_REGEX };
enum sv_cmp { SV_CMP_CASEMAP, SV_CMP_OCTET };
enum sv_part { SV_PART_ALL, SV_PART_LOCAL, SV_PART_DOMAIN };

enum sv_test_kind {
	SV_T_ADDRESS, SV_T_HEADER, SV_T_ENVELOPE, SV_T_EXISTS, SV_T_SIZE,
	SV_T_ALLOF, SV_T_ANYOF, SV_T_NOT, SV_T_TRUE, SV_T_FALSE, SV_T_BODY,
	SV_T_NEW,
};

struct sv_test {
	enum sv_test_kind kind;
	unsigned	 line, col;
	enum sv_match	 match;
	enum sv_cmp	 cmp;
	enum sv_part	 part;
	const char	**names;	/* headers, envelope parts; NULL-ended */
	const char	**keys;		/* NULL-ended */
	size_t		 nkeys;
	GRegex		**re;		/* :regex, one per key */
	bool		 over;		/* size :over, else :under */
	uint64_t	 limit;
	struct sv_test	**sub;		/* allof, anyof, not */
	size_t		 nsub;
};

enum sv_cmd_kind { SV_C_IF, SV_C_STOP, SV_C_ACTION };

struct sv_cmd {
	enum sv_cmd_kind kind;
	unsigned	 line, col;
	struct sv_test	*test;		/* if/elsif; NULL for else */
	struct sv_cmd	**block;
	size_t		 nblock;
	struct sv_cmd	*next;		/* the elsif or else after an if */
	size_t		 action;	/* SV_C_ACTION: index in actions */
};

struct sieve_script {
	char		*name;
	struct sv_cmd	**cmds;
	size_t		 ncmds;
	GArray		*actions;	/* struct sieve_action */
	GStringChunk	*arena;		/* every string of the script */
};

/* Check the tree and compile it into s; false after any error. */
bool	sv_validate(GPtrArray *nodes, struct sieve_script *s,
	    struct sv_diag *d);
void	sv_cmd_free(struct sv_cmd *);

#endif
