/* trace.c - collecting the lines of one correlation id from log files, their
 * time order, and their compact terminal and JSON renderings. Owns the
 * copies of the lines. */
#include <stdlib.h>
#include <string.h>
#include "ops/logline.h"
#include "ops/logread.h"
#include "ops/timefmt.h"
#include "ops/trace.h"
#include "telemetry/log.h"
#include "util/buf.h"
#include "util/utf8.h"

void trace_init(struct trace *t, const char *id)
{
	memset(t, 0, sizeof(*t));
	t->id = xstrdup(id);
}

void trace_release(struct trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].raw);
	free(t->v);
	for (size_t i = 0; i < t->nids; i++)
		free(t->ids[i]);
	free(t->ids);
	free(t->id);
	memset(t, 0, sizeof(*t));
}

/* The index of the id v in t->ids, added when new; -1 past TRACE_MAX_IDS. */
static long id_index(struct trace *t, const struct ll_value *v)
{
	char *id = ll_strdup(v);
	for (size_t i = 0; i < t->nids; i++)
		if (!strcmp(t->ids[i], id)) {
			free(id);
			return (long)i;
		}
	if (t->nids == TRACE_MAX_IDS) {
		t->ids_dropped++;
		free(id);
		return -1;
	}
	t->ids = xrealloc(t->ids, (t->nids + 1) * sizeof(*t->ids));
	t->ids[t->nids] = id;
	return (long)t->nids++;
}

static bool starts_with(const struct ll_value *v, const char *prefix, size_t n)
{
	if (v->type != LV_STRING)
		return false;
	if (!v->escaped)
		return v->n >= n && memcmp(v->p, prefix, n) == 0;
	char *s = ll_strdup(v);
	bool yes = strncmp(s, prefix, n) == 0;
	free(s);
	return yes;
}

static void keep(struct trace *t, const char *s, size_t n, int64_t ts, size_t id)
{
	if (t->n == TRACE_MAX_LINES) {
		t->dropped++;
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n] = (struct trace_line){ .ts_ms = ts, .seq = t->lines_read, .raw = xstrndup(s, n),
					  .n = n, .id = id };
	t->n++;
}

int trace_read(struct trace *t, const char *path, struct pp_error *err)
{
	struct logread *r;
	struct logline_raw line;
	struct logline l;
	size_t idlen = strlen(t->id);
	int rc;
	if (logread_open(path, &r, err) < 0)
		return -1;
	while ((rc = logread_next(r, &line, err)) > 0) {
		t->lines_read++;
		/* Only lines holding the id's bytes are worth parsing. */
		if (line.too_long || !memmem(line.s, line.n, t->id, idlen))
			continue;
		if (logline_parse(line.s, line.n, &l) != LL_OURS)
			continue;
		const struct ll_member *cid = ll_find(&l, "correlation_id");
		if (!cid || !starts_with(&cid->val, t->id, idlen))
			continue;
		long id = id_index(t, &cid->val);
		if (id >= 0)
			keep(t, line.s, line.n, l.ts_ms, (size_t)id);
	}
	logread_close(r);
	if (t->dropped)
		log_warning("ops", "trace_lines_dropped", NULL, LF_STR("id", t->id),
			    LF_INT("kept", TRACE_MAX_LINES), LF_INT("dropped", t->dropped));
	return rc < 0 ? -1 : 0;
}

int trace_resolve(struct trace *t, struct pp_error *err)
{
	size_t pick = t->nids;
	for (size_t i = 0; i < t->nids; i++)
		if (!strcmp(t->ids[i], t->id))
			pick = i;
	if (pick == t->nids && t->nids == 1)
		pick = 0;
	if (pick == t->nids) {
		if (t->nids == 0)
			return 0;
		return pp_fail(err, "trace", "%s matches %zu%s correlation ids", t->id, t->nids,
			       t->ids_dropped ? " or more" : "");
	}
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].id == pick)
			t->v[k++] = t->v[i];
		else
			free(t->v[i].raw);
	}
	t->n = k;
	free(t->id);
	t->id = xstrdup(t->ids[pick]);
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct trace_line *x = a, *y = b;
	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void trace_sort(struct trace *t)
{
	qsort(t->v, t->n, sizeof(*t->v), cmp_line); /* seq makes it stable */
}

/* ---- terminal --------------------------------------------------------------- */

#define VALUE_MAX 80

/* Appends a value for a terminal: control characters (escape sequences
 * included) become '?', long values end in "…". */
static void put_value(struct buf *b, const struct ll_value *v)
{
	char tmp[VALUE_MAX * 4 + 8];
	size_t n = ll_copy(v, tmp, sizeof(tmp));
	bool cut = false;
	/* Cut at VALUE_MAX characters. */
	size_t i = utf8_offset(tmp, n, VALUE_MAX);
	cut = i < n;
	n = i;
	if (!cut && v->type == LV_STRING && v->n + 1 > sizeof(tmp) - 8)
		cut = true;
	bool quote = v->type == LV_STRING && (n == 0 || memchr(tmp, ' ', n));
	if (quote)
		buf_addc(b, '"');
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)tmp[k];
		buf_addc(b, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	if (cut)
		buf_adds(b, "…");
	if (quote)
		buf_addc(b, '"');
}

void trace_print(const struct trace *t, const struct wf_bar *bars, size_t nbars, int width,
		 FILE *out)
{
	char a[32], b[32];
	struct logline l;
	struct buf line = BUF_INIT;
	int64_t t0 = t->v[0].ts_ms;
	ts_format(t0, a);
	ts_format(t->v[t->n - 1].ts_ms, b);
	fprintf(out, "correlation_id %s: %zu lines from %s to %s (%lld ms)\n\n", t->id, t->n, a, b,
		(long long)(t->v[t->n - 1].ts_ms - t0));
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_line *tl = &t->v[i];
		if (logline_parse(tl->raw, tl->n, &l) != LL_OURS)
			continue;
		buf_reset(&line);
		ts_format(tl->ts_ms, a);
		a[23] = '\0'; /* hh:mm:ss.mmm */
		buf_addf(&line, "%s %+7lld ms  %-7s ", a + 11, (long long)(tl->ts_ms - t0),
			 (const char *[]){ "debug", "info", "warning", "error" }[l.level]);
		size_t mark = line.len;
		put_value(&line, &l.m[2].val);
		while (line.len < mark + 18)
			buf_addc(&line, ' ');
		buf_addc(&line, ' ');
		mark = line.len;
		put_value(&line, &l.m[3].val);
		while (line.len < mark + 24)
			buf_addc(&line, ' ');
		for (unsigned k = 4; k < l.n; k++) {
			if (ll_key_is(&l.m[k], "correlation_id", 14))
				continue;
			buf_addc(&line, ' ');
			put_value(&line, &l.m[k].key);
			buf_addc(&line, '=');
			put_value(&line, &l.m[k].val);
		}
		fprintf(out, "%s\n", buf_str(&line));
	}
	buf_release(&line);
	if (nbars) {
		fputc('\n', out);
		trace_print_waterfall(bars, nbars, width, out);
	}
}

/* ---- JSON --------------------------------------------------------------------- */

json_t *trace_to_json(const struct trace *t, const struct wf_bar *bars, size_t nbars)
{
	json_t *root = json_object(), *lines = json_array(), *wf = json_array();
	json_object_set_new(root, "correlation_id", json_string(t->id));
	for (size_t i = 0; i < t->n; i++) {
		json_t *j = json_loadb(t->v[i].raw, t->v[i].n, JSON_DECODE_ANY, NULL);
		json_array_append_new(lines, j ? j : json_null());
	}
	for (size_t i = 0; i < nbars; i++)
		json_array_append_new(wf, json_pack("{s:s, s:s, s:I, s:I, s:i}", "name", bars[i].name,
						    "label", bars[i].label, "start_ms", (json_int_t)bars[i].start_ms,
						    "duration_ms", (json_int_t)bars[i].duration_ms,
						    "depth", bars[i].depth));
	json_object_set_new(root, "lines", lines);
	json_object_set_new(root, "waterfall", wf);
	return root;
}
