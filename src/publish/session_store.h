/* session_store.h - the session store (publisher.h) over the state file:
 * what a run hands its platforms so that a login outlives the run. */
#ifndef PHOTOPUB_PUBLISH_SESSION_STORE_H
#define PHOTOPUB_PUBLISH_SESSION_STORE_H

#include "publish/publisher.h"

struct state;

/* A store that reads and writes st's saved sessions (st may be NULL: a
 * store that keeps nothing). st must outlive every platform thread. */
struct session_store session_store_state(struct state *st);

#endif
