/* posted_before.c - whether an image was posted before: the posted hashes
 * say whether, the history's successful rows of its SHA-256 say when (the
 * latest) and on which platforms. Curation rows are not posts. */
#include <string.h>
#include "core/posted_before.h"

struct scan {
	const char *sha256;
	struct posted_before *out;
};

/* Appends name to the comma-separated list unless it is there already. */
static void add_platform(char *list, size_t size, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
	size_t used = strlen(list);
	snprintf(list + used, size - used, "%s%s", used ? ", " : "", name);
}

/* "2026-11-29T07:02:41.952Z" -> "2026-11-29 07:02 UTC". */
static void short_time(const char *t, char *out, size_t size)
{
	if (t && strlen(t) >= 16 && t[10] == 'T')
		snprintf(out, size, "%.10s %.5s UTC", t, t + 11);
	else
		snprintf(out, size, "%s", t ? t : "");
}

static int each_row(void *arg, const char *time, const struct history_row *row)
{
	struct scan *s = arg;
	if (!row->success || row->action || !row->sha256 || strcmp(row->sha256, s->sha256))
		return 0;
	if (!strcmp(row->platform, HISTORY_CURATION))
		return 0;
	s->out->posted = true;
	if (!s->out->when[0]) /* newest first: the first row is the latest post */
		short_time(time, s->out->when, sizeof(s->out->when));
	add_platform(s->out->platforms, sizeof(s->out->platforms), row->platform);
	return 0;
}

int posted_before_find(struct state *st, const char *sha256, const char *content_hash,
		       struct posted_before *out, struct pp_error *err)
{
	*out = (struct posted_before){ 0 };
	if (!sha256 || !*sha256)
		return 0;
	out->posted = state_is_posted_sha256(st, sha256) ||
		      (content_hash && *content_hash && state_is_posted_content_hash(st, content_hash));
	struct scan s = { .sha256 = sha256, .out = out };
	struct history_filter f = { .newest_first = true };
	return state_history_query(st, &f, each_row, &s, err);
}

void posted_before_write(const struct posted_before *p, FILE *f)
{
	if (!p->posted) {
		fprintf(f, "new (never posted)");
		return;
	}
	fprintf(f, "posted before");
	if (p->when[0])
		fprintf(f, ", %s", p->when);
	if (p->platforms[0])
		fprintf(f, " (%s)", p->platforms);
	if (!p->when[0] && !p->platforms[0])
		fprintf(f, " (its hash is recorded as posted; the history has no post of it)");
}
