/* suggest.c - "did you mean": nearest known name by Damerau-Levenshtein
 * (optimal string alignment) distance, case ignored. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "util/suggest.h"

#define MAX_LEN 64

size_t suggest_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > MAX_LEN || m > MAX_LEN)
		return SIZE_MAX;
	size_t d[MAX_LEN + 1][MAX_LEN + 1];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

void suggest_init(struct suggest *s, const char *word)
{
	*s = (struct suggest){ .word = word, .best = NULL, .best_score = SIZE_MAX };
}

/* Edits allowed for a word of len characters. */
static size_t threshold(size_t len)
{
	size_t t = len / 3;
	return t < 1 ? 1 : t > 3 ? 3 : t;
}

void suggest_add(struct suggest *s, const char *candidate)
{
	if (!s->word || !candidate || !*candidate || !strcasecmp(s->word, candidate))
		return;
	size_t len = strlen(s->word);
	size_t score = suggest_distance(s->word, candidate);
	if (score > threshold(len)) {
		/* A shortened or pluralized form of a longer name: "hashtags". */
		if (len >= 5 && !strncasecmp(candidate, s->word, len - 1))
			score = threshold(len) + 1; /* after every close match */
		else
			return;
	}
	if (score < s->best_score) {
		s->best = candidate;
		s->best_score = score;
	}
}

const char *suggest_result(const struct suggest *s)
{
	return s->best;
}
