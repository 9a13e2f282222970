/* queue.c - `photopub queue`: the posting queue, the order in which runs
 * will post the folder's images (a table or JSON, read without changing
 * anything), and its subcommands pin, skip, hold and release NAME, one row
 * each of the table below. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "core/queue.h"
#include "state/queue.h"
#include "state/state.h"
#include "storage/storage.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"

/* The subcommands. */
static const struct queue_action {
	const char *name;
	enum queue_op op;
	const char *done;          /* what the confirmation says */
} actions[] = {
	{ "pin", QUEUE_OP_PIN, "pinned" },
	{ "skip", QUEUE_OP_SKIP, "skipped" },
	{ "hold", QUEUE_OP_HOLD, "held" },
	{ "release", QUEUE_OP_RELEASE, "released" },
};

struct queue_args {
	const char *config, *env;
	int limit;
	bool json;
	const struct queue_action *action; /* NULL: list */
	const char *name;
};

static int parse_args(int argc, char **argv, struct queue_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	a->limit = QUEUE_DEFAULT_LIMIT;
	struct cmd_getopt g = { .command = "queue", .argc = argc, .argv = argv, .opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'e': a->env = optarg; break;
		case 'n': {
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > QUEUE_MAX_LIMIT)
				return cmd_usage_error("queue", "--limit \"%s\": expected a number from 1 to %d",
						       optarg, QUEUE_MAX_LIMIT);
			a->limit = (int)v;
			break;
		}
		case 'j': a->json = true; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (optind < argc) {
		for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
			if (!strcmp(argv[optind], actions[i].name))
				a->action = &actions[i];
		if (!a->action)
			return cmd_usage_error("queue", "unknown subcommand \"%s\" (pin, skip, hold, release)",
					       argv[optind]);
		if (optind + 1 >= argc)
			return cmd_usage_error("queue", "queue %s needs the image's NAME", a->action->name);
		a->name = argv[optind + 1];
		if (optind + 2 < argc)
			return cmd_usage_error("queue", "unexpected argument \"%s\"", argv[optind + 2]);
	}
	if (!a->config)
		return cmd_usage_error("queue", "--config FILE is required");
	return 0;
}

static void print_table(const struct queue *q, size_t limit)
{
	if (q->n == 0) {
		printf("the queue is empty (no image left to post)\n");
		return;
	}
	printf("%-8s  %-6s  %-24s  %10s  %s\n", "position", "status", "added", "bytes", "image");
	for (size_t i = 0; i < q->n && i < limit; i++) {
		const struct queue_entry *e = &q->v[i];
		printf("%-8zu  %-6s  %-24s  %10lld  %s\n", i + 1, queue_status(q, i),
		       e->added_at && *e->added_at ? e->added_at : "(next run)",
		       (long long)e->item.size, e->item.name);
	}
	printf("%zu image%s in the queue (order %s)", q->n, q->n == 1 ? "" : "s",
	       config_content_order_name(q->order));
	if (q->n > q->npostable)
		printf(", %zu held", q->n - q->npostable);
	if (q->n > limit)
		printf(", %zu more not shown (--limit)", q->n - limit);
	printf("\n");
}

/* Brings the stored deck up to date with the listing, applies the action,
 * and prints where the image now is. */
static int apply(struct state *st, const struct config *cfg, const struct storage_list *list,
		 struct queue *q, const struct queue_args *a, const struct pp_ctx *ctx,
		 struct pp_error *err)
{
	if (queue_find(q, a->name) < 0) {
		pp_fail_kind(err, "queue", PP_ERR_NOT_FOUND, "not in the queue: %s (%s)", a->name,
			     queue_absent_reason(st, list, a->name));
		return -1;
	}
	if (queue_store(st, q, ctx, err) < 0 || state_queue_apply(st, a->name, a->action->op, err) < 0)
		return -1;
	queue_release(q);
	if (queue_build(st, cfg, list, q, err) < 0)
		return -1;
	long at = queue_find(q, a->name);
	log_info("cli", "queue_changed", pp_cid(ctx), LF_STR("action", a->action->name),
		 LF_STR("image", a->name), LF_INT("position", at + 1),
		 LF_STR("status", queue_status(q, (size_t)at)), LF_INT("length", q->n));
	printf("%s: %s (queue position %ld of %zu, %s)\n", a->action->done, a->name, at + 1, q->n,
	       queue_status(q, (size_t)at));
	return 0;
}

int cmd_queue(int argc, char **argv)
{
	struct queue_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	struct config cfg;
	struct config_options co = { .config_path = a.config, .env_path = a.env, .preview = true };
	if (cmd_load_config(&co, &cfg, false) < 0)
		return EXIT_USAGE;

	char cid[UUID_STR_LEN];
	uuid4(cid);
	struct pp_ctx ctx = { .correlation_id = cid };
	struct state *st = NULL;
	struct storage *storage = NULL;
	struct storage_list list = { 0 };
	struct queue q = { 0 };
	struct pp_error err = { 0 };
	const char *where = "state";
	rc = EXIT_FAILED;
	/* Listing reads the state as it is; only an action writes it. */
	if (state_open_config(&cfg, !a.action, &st, &err) < 0)
		goto fail;
	where = "storage";
	if (storage_open(&cfg, st, &storage, &err) < 0 || storage_list(storage, &ctx, &list, &err) < 0)
		goto fail;
	where = "queue";
	if (queue_build(st, &cfg, &list, &q, &err) < 0)
		goto fail;
	if (a.action) {
		if (apply(st, &cfg, &list, &q, &a, &ctx, &err) < 0)
			goto fail;
	} else if (a.json) {
		json_t *o = queue_json(&q, (size_t)a.limit);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		print_table(&q, (size_t)a.limit);
	}
	rc = EXIT_OK;
	goto out;
fail:
	log_error("cli", !strcmp(where, "queue") ? "queue_error" : "startup_error", cid,
		  LF_STR("where", where), LF_STR("error", err.msg));
	printf("error: %s\n", err.msg);
	rc = pp_error_exit_code(err.kind) == EXIT_USAGE ? EXIT_USAGE : EXIT_FAILED;
out:
	fflush(stdout);
	queue_release(&q);
	storage_list_release(&list);
	storage_close(storage);
	state_close(st);
	config_release(&cfg);
	return rc;
}
