/* sanitize.c - redaction of secrets: fixed token patterns plus every
 * configured secret value. Used by the logger on every string value and by
 * anything that builds an error message from remote text.
 *
 * The registered secrets live in an append-only array published with an
 * atomic pointer, so readers (every log line) take no lock. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "telemetry/sanitize.h"
#include "util/buf.h"

struct secrets {
	size_t n;
	char **v;
	size_t *len;
};

static _Atomic(struct secrets *) current;
static pthread_mutex_t add_lock = PTHREAD_MUTEX_INITIALIZER;

unsigned char sanitize_trigger[256] = {
	['s'] = SANITIZE_PATTERN, ['B'] = SANITIZE_PATTERN, ['b'] = SANITIZE_PATTERN,
	[':'] = SANITIZE_PATTERN,
	['0'] = SANITIZE_PATTERN, ['1'] = SANITIZE_PATTERN, ['2'] = SANITIZE_PATTERN,
	['3'] = SANITIZE_PATTERN, ['4'] = SANITIZE_PATTERN, ['5'] = SANITIZE_PATTERN,
	['6'] = SANITIZE_PATTERN, ['7'] = SANITIZE_PATTERN, ['8'] = SANITIZE_PATTERN,
	['9'] = SANITIZE_PATTERN,
};

/* Old snapshots are kept until sanitize_clear_secrets(): a reader may still
 * hold one. They are a few bytes per configured secret. */
static struct secrets **retired;
static size_t nretired;

void sanitize_add_secret(const char *value)
{
	if (!value || strlen(value) < 4)
		return;
	pthread_mutex_lock(&add_lock);
	struct secrets *old = atomic_load(&current);
	size_t n = old ? old->n : 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(old->v[i], value) == 0)
			goto out;
	struct secrets *s = xcalloc(1, sizeof(*s));
	s->v = xcalloc(n + 1, sizeof(char *));
	s->len = xcalloc(n + 1, sizeof(size_t));
	/* Longest first, so a secret that contains another is redacted whole. */
	size_t vlen = strlen(value), j = 0;
	bool placed = false;
	for (size_t i = 0; i < n; i++) {
		if (!placed && vlen > old->len[i]) {
			s->v[j] = xstrdup(value);
			s->len[j++] = vlen;
			placed = true;
		}
		s->v[j] = old->v[i];
		s->len[j++] = old->len[i];
	}
	if (!placed) {
		s->v[j] = xstrdup(value);
		s->len[j++] = vlen;
	}
	s->n = j;
	sanitize_trigger[(unsigned char)value[0]] |= SANITIZE_SECRET;
	atomic_store(&current, s);
	if (old) {
		retired = xrealloc(retired, (nretired + 1) * sizeof(*retired));
		retired[nretired++] = old;
	}
out:
	pthread_mutex_unlock(&add_lock);
}

void sanitize_clear_secrets(void)
{
	pthread_mutex_lock(&add_lock);
	struct secrets *s = atomic_exchange(&current, NULL);
	if (s) {
		for (size_t i = 0; i < s->n; i++)
			free(s->v[i]);
		free(s->v);
		free(s->len);
		free(s);
	}
	for (size_t i = 0; i < nretired; i++) {
		free(retired[i]->v);
		free(retired[i]->len);
		free(retired[i]);
	}
	free(retired);
	retired = NULL;
	nretired = 0;
	pthread_mutex_unlock(&add_lock);
}

static inline bool is_token(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/* Run of token bytes starting at s[i]; dots allowed when dots is set. */
static size_t token_run(const char *s, size_t len, size_t i, bool dots)
{
	size_t j = i;
	while (j < len && (is_token((unsigned char)s[j]) || (dots && s[j] == '.')))
		j++;
	return j - i;
}

/* Bytes that end the user or password part of a URL's authority. */
static bool url_stop(char c)
{
	return c == '@' || c == '/' || c == '?' || c == '#' || c == '"' ||
	       isspace((unsigned char)c);
}

#define URL_USER_MAX 256 /* how far back "://" is looked for */

static bool word_start(const char *s, size_t i)
{
	return i == 0 || !isalnum((unsigned char)s[i - 1]);
}

size_t sanitize_match(const char *s, size_t len, size_t i, size_t *keep)
{
	unsigned char c = (unsigned char)s[i];
	*keep = 0;

	struct secrets *sec = atomic_load(&current);
	if (sec) {
		for (size_t k = 0; k < sec->n; k++)
			if ((unsigned char)sec->v[k][0] == c && sec->len[k] <= len - i &&
			    memcmp(s + i, sec->v[k], sec->len[k]) == 0)
				return sec->len[k];
	}

	if (c == 's' && word_start(s, i) && len - i > 3) {
		/* OpenAI keys: sk-…, sk-proj-… */
		if (s[i + 1] == 'k' && s[i + 2] == '-') {
			size_t r = token_run(s, len, i + 3, false);
			if (r >= 8)
				return 3 + r;
		}
		/* Dropbox short-lived access tokens: sl.… */
		if (s[i + 1] == 'l' && s[i + 2] == '.') {
			size_t r = token_run(s, len, i + 3, true);
			if (r >= 10)
				return 3 + r;
		}
		return 0;
	}
	if (isdigit(c)) {
		/* Telegram bot tokens: 6–12 digits, ':', 30+ token bytes. */
		if (i > 0 && isdigit((unsigned char)s[i - 1]))
			return 0;
		size_t j = i;
		while (j < len && isdigit((unsigned char)s[j]))
			j++;
		if (j - i < 6 || j - i > 12 || j >= len || s[j] != ':')
			return 0;
		size_t r = token_run(s, len, j + 1, false);
		return r >= 30 ? j + 1 + r - i : 0;
	}
	if ((c == 'B' || c == 'b') && word_start(s, i) && len - i > 7 &&
	    strncasecmp(s + i, "bearer", 6) == 0 && (s[i + 6] == ' ' || s[i + 6] == '\t')) {
		size_t j = i + 6;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		size_t v = j;
		while (j < len && !isspace((unsigned char)s[j]) && s[j] != '"' && s[j] != '\'' &&
		       s[j] != ',' && s[j] != ';')
			j++;
		if (j == v || (j - v == 8 && strncmp(s + v, REDACTED, 8) == 0))
			return 0;
		*keep = v - i;
		return j - i;
	}
	if (c == ':') {
		/* scheme://user:password@host: the match is the password, found at
		 * the first ':' after "://", so the scheme and the user part are
		 * scanned, escaped and redacted like any other text. */
		size_t u = i;
		while (u > 0 && i - u < URL_USER_MAX && !url_stop(s[u - 1]) && s[u - 1] != ':')
			u--;
		if (u < 3 || memcmp(s + u - 3, "://", 3) != 0)
			return 0;
		size_t j = i + 1;
		while (j < len && !url_stop(s[j]))
			j++;
		if (j < len && s[j] == '@' && j > i + 1) {
			*keep = 1;
			return j - i;
		}
		return 0;
	}
	return 0;
}

void sanitize_into(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, run = 0;
	while (i < len) {
		if (sanitize_worth_checking(s, len, i)) {
			size_t keep, m = sanitize_match(s, len, i, &keep);
			if (m) {
				buf_add(out, s + run, i - run + keep);
				buf_adds(out, REDACTED);
				i += m;
				run = i;
				continue;
			}
		}
		i++;
	}
	buf_add(out, s + run, len - run);
}

char *sanitize(const char *s)
{
	struct buf b = BUF_INIT;
	sanitize_into(&b, s, strlen(s));
	return buf_detach(&b);
}

void sanitize_inplace(char *msg, size_t cap)
{
	struct buf b = BUF_INIT;
	sanitize_into(&b, msg, strlen(msg));
	size_t n = b.len < cap - 1 ? b.len : cap - 1;
	memcpy(msg, buf_str(&b), n);
	msg[n] = '\0';
	buf_release(&b);
}
