/* session_store.c - the session store of publisher.h on state/sessions.c. */
#include "publish/session_store.h"
#include "state/state.h"

static int get(void *arg, const char *service, const char *account, struct saved_session *out,
	       struct pp_error *err)
{
	return state_session_get(arg, service, account, out, err);
}

static int put(void *arg, const char *service, const char *account,
	       const struct saved_session *s, struct pp_error *err)
{
	return state_session_put(arg, service, account, s, err);
}

struct session_store session_store_state(struct state *st)
{
	if (!st)
		return (struct session_store){ 0 };
	return (struct session_store){ .get = get, .put = put, .arg = st };
}
