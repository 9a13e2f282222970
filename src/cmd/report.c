/* report.c - `photopub report [LOG...] -o FILE.html`: one self-contained HTML
 * page of latencies over time, histograms, publisher outcomes and the
 * slowest runs and requests. Exits 2 on a usage error, an unreadable input
 * or an output that cannot be written. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "ops/report.h"
#include "telemetry/log.h"
#include "util/fsutil.h"

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int c;
	struct cmd_getopt g = { .command = "report", .argc = argc, .argv = argv, .shortopts = "o:",
				.opts = opts };
	while ((c = cmd_getopt(&g)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		default:
			return EXIT_USAGE; /* cmd_getopt said why */
		}
	}
	if (!output || !*output)
		return cmd_usage_error("report", "-o FILE.html is required");
	struct cmd_inputs in = { .files = argv + optind, .n = argc - optind };
	int rc = cmd_log_inputs("report", &in);
	if (rc)
		return rc;

	struct report r;
	struct pp_error err = { 0 };
	struct buf html = BUF_INIT;
	report_init(&r);
	for (int i = 0; i < (in.n ? in.n : 1); i++) {
		const char *path = in.n ? in.files[i] : NULL;
		if (report_read(&r, path, &err) < 0) {
			log_error("ops", "input_error", NULL, LF_STR("file", path ? path : "-"),
				  LF_STR("error", err.msg));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	report_html(&r, &html);
	if (fs_write_atomic(output, html.data, html.len, 0644, &err) < 0) {
		log_error("ops", "output_error", NULL, LF_STR("file", output), LF_STR("error", err.msg));
		rc = EXIT_USAGE;
		goto out;
	}
	printf("%s: %zu bytes, %llu lines read\n", output, html.len,
	       (unsigned long long)r.st.lines);
	fflush(stdout);
out:
	buf_release(&html);
	report_release(&r);
	cmd_inputs_release(&in);
	log_shutdown();
	return rc;
}
