/* sanitize.h - redaction of secrets in any text that could reach a log line or
 * an error message.
 *
 * Replaced by "[REDACTED]": OpenAI keys (sk-…), Telegram bot tokens
 * (123456:ABC…), Dropbox access tokens (sl.…), the value after "Bearer ",
 * passwords in URLs (scheme://user:PASS@), and every secret value registered
 * with sanitize_add_secret(). */
#ifndef PHOTOPUB_TELEMETRY_SANITIZE_H
#define PHOTOPUB_TELEMETRY_SANITIZE_H

#include <stddef.h>
#include "util/buf.h"

#define REDACTED "[REDACTED]"

/* Registers a configured secret value (copied). Values shorter than 4 bytes
 * are ignored: redacting them would shred ordinary text. Thread-safe. */
void sanitize_add_secret(const char *value);
/* Forgets every registered secret (tests). */
void sanitize_clear_secrets(void);

/* Returns a sanitized copy of s; caller frees. */
char *sanitize(const char *s);

/* Sanitizes s[0..len) in place into a caller buffer: appends to out. */
void sanitize_into(struct buf *out, const char *s, size_t len);

/* Flags for every byte that may start a secret: a byte with 0 here needs no
 * sanitize_match() call. */
#define SANITIZE_PATTERN 1  /* may start one of the token patterns */
#define SANITIZE_SECRET 2   /* first byte of a registered secret */
extern unsigned char sanitize_trigger[256];

/* Cheap pre-filter before sanitize_match(): false when no secret can start
 * at s[i]. Inline because the logger calls it for every such byte. */
static inline int sanitize_worth_checking(const char *s, size_t len, size_t i)
{
	unsigned char t = sanitize_trigger[(unsigned char)s[i]];
	if (!t)
		return 0;
	if (t & SANITIZE_SECRET)
		return 1;
	char c = s[i], next = i + 1 < len ? s[i + 1] : '\0';
	switch (c) {
	case 's': return next == 'k' || next == 'l';
	case 'B': case 'b': return next == 'e' || next == 'E';
	case ':': return next != '/' && i >= 3; /* a URL's user:password */
	default: /* a digit: only the first of a run can start a bot token */
		return i == 0 || s[i - 1] < '0' || s[i - 1] > '9';
	}
}

/* Length of the secret that starts at s[i] (s has len bytes), or 0.
 * *keep is set to how many leading bytes of the match stay visible
 * ("Bearer " keeps the word, a URL's password keeps its ':'); what is kept
 * is ASCII letters, ':' and blanks, escaped like any other byte. */
size_t sanitize_match(const char *s, size_t len, size_t i, size_t *keep);

/* Redacts in place a message held in a fixed array (error messages). */
void sanitize_inplace(char *msg, size_t cap);

#endif
