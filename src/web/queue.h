/* queue.h - the web's view of the posting queue (core/queue.h), read and
 * never written: GET /api/queue, and the walk that /api/images/random
 * takes over it ("Next image"), from the head onward. */
#ifndef PHOTOPUB_WEB_QUEUE_H
#define PHOTOPUB_WEB_QUEUE_H

#include <jansson.h>
#include <stddef.h>
#include "core/workflow.h"
#include "storage/storage.h"
#include "types/ctx.h"
#include "util/error.h"

struct web_request;

/* Where "Next image" is: the images shown in this round of the queue. A
 * round ends when every image of the queue was shown; the next one starts
 * again at the head. Safe to share between threads. */
struct web_walk;

struct web_walk *web_walk_new(void);
void web_walk_free(struct web_walk *w);

/* The next image of the walk: the first of the queue of list (in queue
 * order, the held ones last) not shown yet in this round. *it points into
 * list; NULL when the queue is empty. */
int web_walk_next(struct web_walk *w, const struct workflow_env *env,
		  const struct storage_list *list, const struct storage_item **it,
		  struct pp_error *err);

/* {items, count} of the queue of list, its first limit images (queue_json). */
int web_queue_json(const struct workflow_env *env, const struct storage_list *list,
		   size_t limit, json_t **out, struct pp_error *err);

/* The handler of GET /api/queue?limit=N (default 50, 1 to 10000). */
int web_route_queue(struct web_request *rq);

#endif
