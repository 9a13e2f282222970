/* session.h - a login a platform keeps between runs (Bluesky's session):
 * the account it belongs to and its tokens. The tokens are secrets: they
 * live in the state file and in memory, never in a log line or a message. */
#ifndef PHOTOPUB_TYPES_SESSION_H
#define PHOTOPUB_TYPES_SESSION_H

#include <stdlib.h>

struct saved_session {
	char *account_id;      /* the platform's id of the account (a DID) */
	char *access_token;
	char *refresh_token;   /* may be NULL */
};

/* Frees the strings; the struct is zeroed and may be reused. */
static inline void saved_session_release(struct saved_session *s)
{
	free(s->account_id);
	free(s->access_token);
	free(s->refresh_token);
	*s = (struct saved_session){ 0 };
}

#endif
