/* queue.c - the posting queue on the web (queue.h): GET /api/queue, and
 * the walk of /api/images/random over the same order. Both build the queue
 * from the service's listing and the state without writing: looking never
 * changes the queue. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/queue.h"
#include "web/queue.h"
#include "web/request.h"
#include "web/routes.h"

struct web_walk {
	pthread_mutex_t lock;
	struct strv shown;         /* this round's names, sorted */
};

struct web_walk *web_walk_new(void)
{
	struct web_walk *w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

void web_walk_free(struct web_walk *w)
{
	if (!w)
		return;
	strv_release(&w->shown);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* The place of name in the sorted shown list: where it is, or where it goes. */
static size_t shown_place(const struct strv *sv, const char *name, bool *found)
{
	size_t lo = 0, hi = sv->n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, sv->v[mid]);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Lock held. Adds name to the round. */
static void shown_add(struct strv *sv, const char *name, size_t at)
{
	strv_push(sv, name);
	char *s = sv->v[sv->n - 1];
	memmove(&sv->v[at + 1], &sv->v[at], (sv->n - 1 - at) * sizeof(char *));
	sv->v[at] = s;
}

int web_walk_next(struct web_walk *w, const struct workflow_env *env,
		  const struct storage_list *list, const struct storage_item **it,
		  struct pp_error *err)
{
	struct queue q;
	*it = NULL;
	if (queue_build(env->state, env->cfg, list, &q, err) < 0)
		return -1;
	const char *pick = NULL;
	pthread_mutex_lock(&w->lock);
	for (int round = 0; round < 2 && !pick && q.n; round++) {
		for (size_t i = 0; i < q.n && !pick; i++) {
			bool found;
			size_t at = shown_place(&w->shown, q.v[i].item.name, &found);
			if (!found) {
				pick = q.v[i].item.name;
				shown_add(&w->shown, pick, at);
			}
		}
		if (!pick)
			strv_release(&w->shown); /* every image was shown: a new round */
	}
	pthread_mutex_unlock(&w->lock);
	for (size_t i = 0; pick && i < list->n && !*it; i++)
		if (!strcmp(list->items[i].name, pick))
			*it = &list->items[i];
	queue_release(&q);
	return 0;
}

int web_queue_json(const struct workflow_env *env, const struct storage_list *list,
		   size_t limit, json_t **out, struct pp_error *err)
{
	struct queue q;
	if (queue_build(env->state, env->cfg, list, &q, err) < 0)
		return -1;
	*out = queue_json(&q, limit);
	queue_release(&q);
	return 0;
}

int web_route_queue(struct web_request *rq)
{
	struct pp_error err = { 0 };
	char *v = NULL;
	int limit = QUEUE_DEFAULT_LIMIT;
	json_t *out = NULL;
	web_log_field(rq, LF_NULL("count"));
	if (request_query_get(rq->query, "limit", &v) < 0 ||
	    (v && request_int_range(v, 1, QUEUE_MAX_LIMIT, &limit) < 0)) {
		free(v);
		return web_reply_error(rq, 400, "limit must be a number from 1 to %d", QUEUE_MAX_LIMIT);
	}
	free(v);
	if (web_queue(rq->shared->svc, &rq->ctx, (size_t)limit, &out, &err) < 0)
		return web_reply_pp_error(rq, &err);
	web_log_field(rq, LF_INT("count", json_integer_value(json_object_get(out, "count"))));
	return web_reply_json(rq, 200, out);
}
