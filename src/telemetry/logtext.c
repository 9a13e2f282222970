/* logtext.c - log_render_text: the short human line a terminal gets instead
 * of the JSON object (logtext.h). */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "telemetry/logtext.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/utf8.h"

#define CID_CHARS 8
#define VALUE_CHARS 80 /* one long value leaves room for the others */

static const char *const level_labels[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
static const char *const level_colours[] = { "\033[2m", "\033[32m", "\033[33m", "\033[1;31m" };
#define EVENT_COLOUR "\033[1m"
#define RESET "\033[0m"

bool log_colour_wanted(int fd)
{
	const char *no = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	return isatty(fd) && !(no && *no) && term && *term && strcmp(term, "dumb") != 0;
}

/* Appends s as printable text: sanitized, valid UTF-8, control characters
 * as spaces. */
static void add_plain(struct buf *b, const char *s)
{
	char *clean = sanitize(s);
	char *valid = utf8_make_valid(clean, strlen(clean));
	free(clean);
	for (char *p = valid; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	buf_adds(b, valid);
	free(valid);
}

/* Appends s as one printable value: sanitized, valid UTF-8, at most
 * VALUE_CHARS characters, control characters as spaces, quoted when it would not read as one word. */
static void add_value(struct buf *b, const char *s)
{
	char *clean = sanitize(s);
	char *whole = utf8_make_valid(clean, strlen(clean));
	free(clean);
	char *valid = utf8_cut_ellipsis(whole, VALUE_CHARS);
	free(whole);
	bool quote = !*valid || strpbrk(valid, " \t\"=") != NULL;
	if (quote)
		buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			buf_addc(b, ' ');
		else if (*p == '"' && quote)
			buf_adds(b, "\\\"");
		else
			buf_addc(b, (char)*p);
	}
	if (quote)
		buf_addc(b, '"');
	free(valid);
}

/* Appends " key=value" for one field; nothing for a null one. */
static void add_field(struct buf *b, const struct log_field *f)
{
	char num[48];
	const char *text = NULL;
	char *owned = NULL;
	switch (f->type) {
	case LT_STR:
		text = f->v.s;
		break;
	case LT_INT:
		snprintf(num, sizeof(num), "%lld", (long long)f->v.i);
		text = num;
		break;
	case LT_MS:
		if (f->v.i >= 0) {
			snprintf(num, sizeof(num), "%lld", (long long)f->v.i);
			text = num;
		}
		break;
	case LT_BOOL:
		text = f->v.b ? "true" : "false";
		break;
	case LT_DOUBLE:
		if (isfinite(f->v.d)) {
			snprintf(num, sizeof(num), "%.6g", f->v.d);
			text = num;
		}
		break;
	case LT_JSON:
		if (f->v.json)
			text = owned = json_dumps(f->v.json, JSON_COMPACT | JSON_ENCODE_ANY);
		break;
	case LT_NULL:
	case LT_END:
		break;
	}
	if (!text)
		return;
	buf_addc(b, ' ');
	buf_adds(b, f->key);
	buf_addc(b, '=');
	add_value(b, text);
	free(owned);
}

static const char *field_str(const struct log_field *f, const char *key)
{
	for (; f && f->type != LT_END; f++)
		if (f->type == LT_STR && !strcmp(f->key, key))
			return f->v.s;
	return NULL;
}

/* "--config FILE is required (see photopub run --help)" */
static void usage_sentence(struct buf *b, const struct log_field *f)
{
	const char *error = field_str(f, "error"), *help = field_str(f, "help");
	add_plain(b, error ? error : "usage error");
	if (help) {
		buf_adds(b, " (see ");
		add_plain(b, help);
		buf_addc(b, ')');
	}
}

/* "[Mastodon] enable: unknown key; did you mean [Mastodon] enabled? (photopub.ini)" */
static void config_sentence(struct buf *b, const struct log_field *f)
{
	const char *section = field_str(f, "section"), *key = field_str(f, "key");
	const char *problem = field_str(f, "problem"), *file = field_str(f, "file");
	const char *hint = field_str(f, "hint");
	struct buf s = BUF_INIT;
	if (section)
		buf_addf(&s, "[%s] ", section);
	if (key)
		buf_addf(&s, "%s: ", key);
	buf_adds(&s, problem && *problem ? problem : "invalid configuration");
	if (hint && *hint)
		buf_addf(&s, "; %s", hint);
	if (file && *file)
		buf_addf(&s, " (%s)", file);
	add_plain(b, buf_str(&s));
	buf_release(&s);
}

/* Events read as a sentence rather than key=value. */
static const struct {
	const char *event;
	void (*write)(struct buf *b, const struct log_field *f);
} sentences[] = {
	{ "usage_error", usage_sentence },
	{ "config_error", config_sentence },
};

/* "10:15:02.113" in local time. */
static void format_time(char ts[13])
{
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, 9, "%H:%M:%S", &tm);
	unsigned ms = (unsigned)(now.tv_nsec / 1000000) % 1000u;
	ts[8] = '.';
	ts[9] = (char)('0' + ms / 100);
	ts[10] = (char)('0' + ms / 10 % 10);
	ts[11] = (char)('0' + ms % 10);
	ts[12] = '\0';
}

/* Appends text to line, cut so that the line's visible columns stay within
 * LOG_TEXT_COLUMNS (cols: those used so far). */
static void add_bounded(struct buf *line, const char *text, size_t cols)
{
	size_t room = cols < LOG_TEXT_COLUMNS ? LOG_TEXT_COLUMNS - cols : 0;
	char *cut = utf8_cut_ellipsis(text, room);
	buf_adds(line, cut);
	free(cut);
}

size_t log_render_text(enum log_level level, const char *logger, const char *event,
		       const char *correlation_id, const struct log_field *fields,
		       bool colour, char **out)
{
	(void)logger;
	if ((int)level < LOG_DEBUG || level > LOG_ERROR)
		level = LOG_ERROR;
	if (!event)
		event = "";
	struct buf line = BUF_INIT, rest = BUF_INIT;
	size_t cols = 0;
	for (size_t i = 0; i < sizeof(sentences) / sizeof(sentences[0]); i++) {
		if (strcmp(event, sentences[i].event) != 0)
			continue;
		const char *label = level >= LOG_ERROR ? "error:" : "warning:";
		if (colour)
			buf_addf(&line, "%s%s%s ", level_colours[level], label, RESET);
		else
			buf_addf(&line, "%s ", label);
		cols = strlen(label) + 1;
		sentences[i].write(&rest, fields);
		goto finish;
	}

	char ts[13];
	format_time(ts);
	char *ev = sanitize(event);
	char *ev_valid = utf8_make_valid(ev, strlen(ev));
	free(ev);
	char *ev_cut = utf8_cut_ellipsis(ev_valid, 64);
	free(ev_valid);
	if (colour)
		buf_addf(&line, "%s %s%s%s %s%s%s", ts, level_colours[level], level_labels[level],
			 RESET, EVENT_COLOUR, ev_cut, RESET);
	else
		buf_addf(&line, "%s %s %s", ts, level_labels[level], ev_cut);
	cols = strlen(ts) + 1 + 5 + 1 + utf8_strlen(ev_cut);
	free(ev_cut);
	if (correlation_id && *correlation_id) {
		char cid[CID_CHARS + 1];
		size_t n = utf8_cut_bytes(correlation_id, strlen(correlation_id), CID_CHARS);
		memcpy(cid, correlation_id, n);
		cid[n] = '\0';
		buf_adds(&rest, " cid=");
		add_value(&rest, cid);
	}
	for (const struct log_field *f = fields; f && f->type != LT_END; f++)
		add_field(&rest, f);

finish:
	add_bounded(&line, buf_str(&rest), cols);
	buf_release(&rest);
	buf_addc(&line, '\n');
	size_t n = line.len;
	*out = buf_detach(&line);
	return n;
}
