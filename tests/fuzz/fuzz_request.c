/* fuzz_request.c - what an HTTP client sends, through the pure parsers of
 * web/request.c as the dispatcher and the routes call them. The input is
 * one field per line: the request target, a Cookie header, If-None-Match,
 * Content-Length, a comma-separated list (trusted_proxies) and an address
 * list (X-Forwarded-For); missing lines are absent headers. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "web/auth.h"
#include "web/request.h"
#include "web/routes.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

static void target(const char *t)
{
	char *path = request_path(t);
	const char *query = request_query(t);
	if (query && query != strchr(t, '?') + 1)
		abort();
	for (size_t i = 0; i < web_nroutes; i++) {
		char *param = NULL;
		bool hit = request_match(web_routes[i].pattern, path, &param);
		if (!hit && param)
			abort(); /* no match, no parameter */
		if (param)
			(void)request_filename_ok(param);
		free(param);
	}
	static const char *const names[] = { "force_refresh", "w", "W", "next", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *v = NULL;
		int rc = request_query_get(query, names[i], &v);
		if (rc < 0 && v)
			abort();
		if (v) {
			int width;
			(void)request_truthy(v);
			(void)request_int_range(v, 16, 4096, &width);
		}
		free(v);
	}
	char *whole = request_decode(t, strlen(t));
	free(whole);
	free(path);
}

static void lists(const char *list, const char *xff)
{
	char item[64];
	size_t n = request_list_count(list);
	for (size_t i = 0; i < n && i < 64; i++)
		if (request_list_item(list, i, item, sizeof(item)) == 0)
			(void)request_list_has(xff, item);
	if (request_list_item(list, n, item, sizeof(item)) == 0)
		abort(); /* past the last item */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char *t = fuzz_line(&p, end);
	char *cookie = fuzz_line(&p, end);
	char *inm = fuzz_line(&p, end);
	char *length = fuzz_line(&p, end);
	char *list = fuzz_line(&p, end);
	char *xff = fuzz_line(&p, end);

	if (t)
		target(t);
	free(request_cookie(cookie, ADMIN_COOKIE));
	free(request_cookie(cookie, "session"));
	if (inm) {
		(void)request_etag_matches(inm, "\"3f2a9c\"");
		(void)request_etag_matches(inm, "\"\"");
	}
	(void)request_length_exceeds(length, 1u << 20);
	lists(list, xff);

	free(t);
	free(cookie);
	free(inm);
	free(length);
	free(list);
	free(xff);
	return 0;
}
