/* telegram.h - what the Telegram publisher (telegram.c, `telegram_publisher`
 * in publisher.h) reads in the Bot API's replies, apart from its HTTP call:
 * pure functions over a reply's bytes, for it and for tests and fuzzers. */
#ifndef PHOTOPUB_PUBLISH_TELEGRAM_H
#define PHOTOPUB_PUBLISH_TELEGRAM_H

#include <stddef.h>
#include "util/error.h"

/* The public link of message_id in channel when channel is a public
 * channel's "@username": "https://t.me/<username>/<message_id>"; NULL
 * otherwise (a numeric chat id has no public link). Caller frees. */
char *telegram_post_url(const char *channel, const char *message_id);

/* A sendPhoto reply (HTTP status, the body's len bytes): 0 with *post_id
 * the message_id as text (caller frees) when it is {"ok":true,"result":
 * {"message_id":…}} with a 2xx status; -1 with err filled (kind
 * rate_limited on a 429, else remote; http_status; the description) and
 * *post_id NULL otherwise. */
int telegram_parse_reply(long status, const char *body, size_t len, char **post_id,
			 struct pp_error *err);

/* parameters.retry_after of a 429 reply's body, or -1. */
int telegram_retry_after(const char *body, size_t len);

#endif
