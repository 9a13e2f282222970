/* suggest.h - "did you mean": the known name nearest to a misspelt one, by
 * Damerau-Levenshtein distance (adjacent swaps count as one edit), case
 * ignored. Table-agnostic: the caller offers each candidate in turn. */
#ifndef PHOTOPUB_UTIL_SUGGEST_H
#define PHOTOPUB_UTIL_SUGGEST_H

#include <stddef.h>

struct suggest {
	const char *word;   /* what was written */
	const char *best;   /* the nearest candidate so far, or NULL */
	size_t best_score;
};

/* Starts a search for the candidate nearest to word (kept, not copied). */
void suggest_init(struct suggest *s, const char *word);

/* Offers candidate (kept, not copied: it must outlive s). It is taken when
 * it is close enough and nearer than the best so far; the first of equals
 * wins. Close enough: at most max(1, min(3, length / 3)) edits, or word
 * minus one trailing character starting candidate ("hashtags" ->
 * "hashtag_string"). A candidate equal to word (case ignored) is ignored. */
void suggest_add(struct suggest *s, const char *candidate);

/* The nearest candidate offered, or NULL when none was close enough. */
const char *suggest_result(const struct suggest *s);

/* The optimal-string-alignment distance between a and b, case ignored
 * (ASCII); strings longer than 64 bytes count as far apart (SIZE_MAX). */
size_t suggest_distance(const char *a, const char *b);

#endif
