/* strv.h - a vector of owned strings (tags, palettes, name lists). */
#ifndef PHOTOPUB_UTIL_STRV_H
#define PHOTOPUB_UTIL_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;    /* v[n] is NULL when n > 0 */
	size_t n;
	size_t cap;
};

#define STRV_INIT { NULL, 0, 0 }

void strv_push(struct strv *sv, const char *s);     /* copies s */
void strv_push_owned(struct strv *sv, char *s);     /* takes s */
bool strv_contains(const struct strv *sv, const char *s);
void strv_push_unique(struct strv *sv, const char *s);
/* s1<sep>s2<sep>…; caller frees. */
char *strv_join(const struct strv *sv, const char *sep);
/* Appends the items of s separated by sep, blanks around each trimmed,
 * empty items skipped ("a, b,,c" -> a b c); s NULL appends nothing. */
void strv_split(struct strv *sv, const char *s, char sep);
void strv_copy(struct strv *dst, const struct strv *src); /* appends copies */
void strv_release(struct strv *sv);

#endif
