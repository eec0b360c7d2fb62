/* SPDX-License-Identifier: ISC */
#include <glib.h>

#include "uidstate.h"

int
uidstate_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

bool
uidstate_has(const struct store_imap_state *st, int64_t uid)
{
	size_t lo = 0, hi = st->ndone;

	if (uid <= st->upto)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->done[mid] == uid)
			return true;
		if (st->done[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The new upto: below the first pending candidate, else past all. */
static int64_t
new_upto(const struct store_imap_state *st, const int64_t *cand,
    const bool *committed, size_t n)
{
	int64_t max = st->upto;

	for (size_t i = 0; i < n; i++) {
		if (!committed[i])
			return cand[i] - 1 > st->upto ? cand[i] - 1 : st->upto;
		if (cand[i] > max)
			max = cand[i];
	}
	if (st->ndone > 0 && st->done[st->ndone - 1] > max)
		max = st->done[st->ndone - 1];
	return max;
}

static void
keep(GArray *v, int64_t uid, int64_t upto)
{
	if (uid <= upto)
		return;
	if (v->len > 0 && g_array_index(v, int64_t, v->len - 1) >= uid)
		return;		/* both lists are ascending: a repeat */
	g_array_append_val(v, uid);
}

void
uidstate_advance(const struct store_imap_state *st, const int64_t *cand,
    const bool *committed, size_t n, struct store_imap_state *out)
{
	GArray *v = g_array_new(FALSE, FALSE, sizeof(int64_t));
	size_t i = 0, j = 0;

	out->upto = new_upto(st, cand, committed, n);
	/* Merge the two ascending lists: old done, newly committed. */
	while (i < st->ndone || j < n) {
		if (j < n && !committed[j]) {
			j++;
			continue;
		}
		if (j >= n || (i < st->ndone && st->done[i] <= cand[j]))
			keep(v, st->done[i++], out->upto);
		else
			keep(v, cand[j++], out->upto);
	}
	out->ndone = v->len;
	out->done = (int64_t *)(void *)g_array_free(v, FALSE);
}
