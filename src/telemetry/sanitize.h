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

/* Non-zero for every byte that may start a secret (pattern or registered
 * value): a byte with 0 here needs no sanitize_match() call. */
extern unsigned char sanitize_trigger[256];

/* Length of the secret that starts at s[i] (s has len bytes), or 0.
 * *keep is set to how many leading bytes of the match stay visible
 * ("Bearer " keeps the word, a URL keeps "scheme://user:"). */
size_t sanitize_match(const char *s, size_t len, size_t i, size_t *keep);

/* Redacts in place a message held in a fixed array (error messages). */
void sanitize_inplace(char *msg, size_t cap);

#endif
