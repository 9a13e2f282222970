/* parallel.c - one thread per platform with a shared deadline.
 *
 * Each thread works on a job that holds private copies of the input; the job
 * is reference-counted (the waiting caller and every thread hold one), so a
 * thread abandoned at the deadline can finish later without touching freed
 * memory. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "types/models.h"
#include "publish/parallel.h"
#include "telemetry/clock.h"
#include "telemetry/log.h"
#include "telemetry/observe.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/strv.h"

struct job {
	atomic_int refs;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	size_t pending;
	/* Private copies of the input. */
	const struct config *cfg;   /* outlives every run: owned by the process */
	struct publish_input in;
	struct analysis analysis;
	struct image_info info;
	struct strv strings;        /* owns the strings in `in` */
	size_t n;
	struct slot {
		struct job *job;
		const struct publisher_ops *ops;
		struct publish_input in;    /* the job's, with this platform's caption */
		struct publish_result result;
		bool done;
	} *slots;
};

static void job_unref(struct job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	for (size_t i = 0; i < j->n; i++)
		publish_result_release(&j->slots[i].result);
	free(j->slots);
	analysis_release(&j->analysis);
	strv_release(&j->strings);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->done_cond);
	free(j);
}

static const char *keep(struct job *j, const char *s)
{
	if (!s)
		return NULL;
	strv_push(&j->strings, s);
	return j->strings.v[j->strings.n - 1];
}

static void copy_strv(struct strv *dst, const struct strv *src)
{
	strv_copy(dst, src);
}

static void copy_analysis(struct analysis *d, const struct analysis *s)
{
#define DUP(f) d->f = s->f ? xstrdup(s->f) : NULL
	DUP(description); DUP(mood); DUP(subject); DUP(style); DUP(lighting); DUP(camera);
	DUP(pose); DUP(composition); DUP(background); DUP(color_palette);
	DUP(alt_text);
#undef DUP
	d->nsfw = s->nsfw;
	copy_strv(&d->tags, &s->tags);
	copy_strv(&d->safety_labels, &s->safety_labels);
	copy_strv(&d->clothing_or_accessories, &s->clothing_or_accessories);
	copy_strv(&d->aesthetic_terms, &s->aesthetic_terms);
}

static void *publish_thread(void *arg)
{
	struct slot *s = arg;
	struct job *j = s->job;
	struct publish_result r = { 0 };
	struct pp_error err = { 0 };
	int64_t t0 = now_monotonic();
	int rc = s->ops->publish(j->cfg, &s->in, &r, &err);
	r.duration_ms = elapsed_ms(t0);
	if (rc < 0 || !r.success) {
		r.success = false;
		r.err = err;
		if (!r.err.msg[0])
			pp_fail(&r.err, "publish", "publish failed");
		/* Errors travel to stdout, the web API and the history: no secrets. */
		char *clean = sanitize(r.err.msg);
		snprintf(r.err.msg, sizeof(r.err.msg), "%s", clean);
		free(clean);
	}
	pthread_mutex_lock(&j->lock);
	s->result = r;
	s->done = true;
	j->pending--;
	pthread_cond_broadcast(&j->done_cond);
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
	return NULL;
}

size_t publish_parallel(const struct config *cfg, const struct publisher_ops *const *ops,
		      size_t n, const struct publish_input *in, int timeout_s,
		      struct publish_result *results)
{
	return publish_parallel_observed(cfg, ops, n, in, timeout_s, results, NULL);
}

size_t publish_parallel_observed(const struct config *cfg,
				 const struct publisher_ops *const *ops, size_t n,
				 const struct publish_input *in, int timeout_s,
				 struct publish_result *results,
				 const struct publish_observer *obs)
{
	struct job *j = xcalloc(1, sizeof(*j));
	atomic_init(&j->refs, 1);
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->done_cond, &ca);
	pthread_condattr_destroy(&ca);
	j->cfg = cfg;
	j->n = n;
	j->slots = xcalloc(n ? n : 1, sizeof(*j->slots));
	j->in = *in;
	j->in.ctx = (struct pp_ctx){ .correlation_id = keep(j, in->ctx.correlation_id) };
	j->in.image_path = keep(j, in->image_path);
	j->in.image_name = keep(j, in->image_name);
	j->in.sha256 = keep(j, in->sha256);
	j->in.caption = keep(j, in->caption);
	j->in.sd_caption = keep(j, in->sd_caption);
	j->in.alt_text = keep(j, in->alt_text);
	/* unset: this run is the first to send it */
	j->in.first_correlation_id = keep(j, in->first_correlation_id ? in->first_correlation_id
								  : in->ctx.correlation_id);
	j->in.overrides = NULL; /* resolved into each slot's caption below */
	j->in.noverrides = 0;
	if (in->analysis) {
		copy_analysis(&j->analysis, in->analysis);
		j->in.analysis = &j->analysis;
	}
	if (in->info) {
		j->info = *in->info;
		j->in.info = &j->info;
	}

	int64_t t0 = now_monotonic();
	for (size_t i = 0; i < n; i++) {
		struct slot *s = &j->slots[i];
		s->job = j;
		s->ops = ops[i];
		s->in = j->in;
		s->in.caption = keep(j, publish_caption_for(in, ops[i]->name));
		pthread_t tid;
		atomic_fetch_add(&j->refs, 1);
		pthread_mutex_lock(&j->lock);
		j->pending++;
		pthread_mutex_unlock(&j->lock);
		if (pthread_create(&tid, NULL, publish_thread, s) != 0) {
			atomic_fetch_sub(&j->refs, 1);
			pthread_mutex_lock(&j->lock);
			j->pending--;
			s->done = true;
			pp_fail_kind(&s->result.err, "publish", PP_ERR_INTERNAL,
				     "cannot start a thread: %s", strerror(errno));
			pthread_mutex_unlock(&j->lock);
			continue;
		}
		pthread_detach(tid);
	}

	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	/* Each result is moved out as it arrives and told to the observer
	 * without the lock held. */
	bool *told = xcalloc(n ? n : 1, sizeof(bool));
	size_t abandoned = 0;
	pthread_mutex_lock(&j->lock);
	for (;;) {
		/* A platform that ends while the lock is released for the observer
		 * signals nobody: after any call, look again before waiting. */
		bool unlocked = false;
		for (size_t i = 0; i < n; i++) {
			struct slot *s = &j->slots[i];
			if (!s->done || told[i])
				continue;
			results[i] = s->result;
			s->result = (struct publish_result){ 0 }; /* moved */
			told[i] = true;
			if (obs && obs->outcome) {
				pthread_mutex_unlock(&j->lock);
				obs->outcome(obs->arg, i, &results[i]);
				pthread_mutex_lock(&j->lock);
				unlocked = true;
			}
		}
		bool all = true;
		for (size_t i = 0; i < n; i++)
			all = all && told[i];
		if (all)
			break;
		if (unlocked)
			continue;
		if (pthread_cond_timedwait(&j->done_cond, &j->lock, &deadline) == ETIMEDOUT)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		struct slot *s = &j->slots[i];
		if (told[i])
			continue;
		if (s->done) { /* ended between the last look and the deadline */
			results[i] = s->result;
			s->result = (struct publish_result){ 0 };
		} else {
			results[i] = (struct publish_result){ .success = false,
							      .duration_ms = elapsed_ms(t0) };
			pp_fail_kind(&results[i].err, "publish", PP_ERR_TIMEOUT, "timeout");
			abandoned++;
		}
	}
	pthread_mutex_unlock(&j->lock);
	for (size_t i = 0; i < n; i++)
		if (!told[i] && obs && obs->outcome)
			obs->outcome(obs->arg, i, &results[i]);
	free(told);

	for (size_t i = 0; i < n; i++) {
		char logger[64];
		snprintf(logger, sizeof(logger), "publisher.%s", ops[i]->name);
		observe_publish(ops[i]->name, results[i].success, results[i].duration_ms);
		log_json(results[i].success ? LOG_INFO : LOG_ERROR, logger, "publisher_publish",
			 pp_cid(&in->ctx),
			 (const struct log_field[]){
				 LF_STR("platform", ops[i]->name),
				 LF_MS("duration_ms", results[i].duration_ms),
				 LF_BOOL("success", results[i].success),
				 LF_STR("post_id", results[i].post_id),
				 LF_STR("url", results[i].url),
				 LF_STR("error", publish_error(&results[i])),
				 LF_STR("error_kind", results[i].success ? NULL
						       : pp_error_name(results[i].err.kind)),
				 LF_END });
	}
	job_unref(j);
	return abandoned;
}
