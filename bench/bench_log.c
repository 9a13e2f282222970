/* bench_log.c - cost of one log_json call for a workflow_timing-sized event
 * (13 keys, ~400 bytes) appended to a file, single-threaded and with 8
 * threads at once. Prints ns per line. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "telemetry/clock.h"
#include "telemetry/log.h"

#define N 200000

static void one_line(int i)
{
	log_info("workflow", "workflow_timing", "5f0c6a1e-9b1d-4c53-8f3e-2f6c1d7e9a10",
		 LF_STR("image", "photographer-with-tripod-monochrome.jpg"),
		 LF_MS("dropbox_list_images_ms", 12), LF_MS("image_selection_ms", 48),
		 LF_MS("vision_analysis_ms", 1830 + (i & 7)), LF_MS("caption_generation_ms", 912),
		 LF_MS("sidecar_write_ms", 140), LF_MS("publish_parallel_ms", 2210),
		 LF_MS("archive_ms", 95), LF_MS("total_ms", 5301), LF_MS("publish_telegram_ms", 1480),
		 LF_MS("publish_email_ms", 2204), LF_BOOL("preview_mode", false),
		 LF_BOOL("dry_publish", false), LF_BOOL("success", true), LF_STR("error", NULL));
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < N / 8; i++)
		one_line(i);
	return NULL;
}

int main(void)
{
	char path[] = "/tmp/photopub-bench-log-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	log_set_stderr(false);
	log_set_file(path, NULL);

	char *line;
	size_t len = log_render(LOG_INFO, "workflow", "workflow_timing", "5f0c6a1e-9b1d-4c53-8f3e-2f6c1d7e9a10",
				(const struct log_field[]){ LF_STR("image", "photographer-with-tripod-monochrome.jpg"),
							    LF_MS("a", 1), LF_END }, &line);
	free(line);
	(void)len;

	for (int i = 0; i < 1000; i++) /* warm-up */
		one_line(i);
	int64_t t0 = now_monotonic();
	for (int i = 0; i < N; i++)
		one_line(i);
	double single = (double)(now_monotonic() - t0) / N;

	/* The parts: rendering alone, and the write(2) of a line of the same size. */
	log_set_level(LOG_ERROR); /* one_line() now only checks the level */
	char *sample;
	size_t slen = log_render(LOG_INFO, "workflow", "workflow_timing", "5f0c6a1e-9b1d-4c53-8f3e-2f6c1d7e9a10",
				 (const struct log_field[]){
					 LF_STR("image", "photographer-with-tripod-monochrome.jpg"),
					 LF_MS("dropbox_list_images_ms", 12), LF_MS("image_selection_ms", 48),
					 LF_MS("vision_analysis_ms", 1830), LF_MS("caption_generation_ms", 912),
					 LF_MS("sidecar_write_ms", 140), LF_MS("publish_parallel_ms", 2210),
					 LF_MS("archive_ms", 95), LF_MS("total_ms", 5301),
					 LF_MS("publish_telegram_ms", 1480), LF_MS("publish_email_ms", 2204),
					 LF_BOOL("preview_mode", false), LF_BOOL("dry_publish", false),
					 LF_BOOL("success", true), LF_STR("error", NULL), LF_END }, &sample);
	t0 = now_monotonic();
	for (int i = 0; i < N; i++) {
		char *l;
		log_render(LOG_INFO, "workflow", "workflow_timing", "5f0c6a1e-9b1d-4c53-8f3e-2f6c1d7e9a10",
			   (const struct log_field[]){
				   LF_STR("image", "photographer-with-tripod-monochrome.jpg"),
				   LF_MS("dropbox_list_images_ms", 12), LF_MS("image_selection_ms", 48),
				   LF_MS("vision_analysis_ms", 1830 + (i & 7)), LF_MS("caption_generation_ms", 912),
				   LF_MS("sidecar_write_ms", 140), LF_MS("publish_parallel_ms", 2210),
				   LF_MS("archive_ms", 95), LF_MS("total_ms", 5301),
				   LF_MS("publish_telegram_ms", 1480), LF_MS("publish_email_ms", 2204),
				   LF_BOOL("preview_mode", false), LF_BOOL("dry_publish", false),
				   LF_BOOL("success", true), LF_STR("error", NULL), LF_END }, &l);
		free(l);
	}
	double render = (double)(now_monotonic() - t0) / N;
	char wpath[] = "/tmp/photopub-bench-write-XXXXXX";
	int wfd = mkstemp(wpath);
	t0 = now_monotonic();
	for (int i = 0; i < N; i++)
		if (write(wfd, sample, slen) < 0)
			break;
	double raw_write = (double)(now_monotonic() - t0) / N;
	close(wfd);
	unlink(wpath);
	free(sample);
	log_set_level(LOG_INFO);

	pthread_t t[8];
	t0 = now_monotonic();
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	double threaded = (double)(now_monotonic() - t0) / N;

	/* The server's mode: lines queued for the background writer. */
	log_set_async(true);
	t0 = now_monotonic();
	for (int i = 0; i < N; i++)
		one_line(i);
	double queued = (double)(now_monotonic() - t0) / N;
	log_flush();
	double async_total = (double)(now_monotonic() - t0) / N;
	log_set_async(false);

	FILE *f = fopen(path, "r");
	char buf[1024];
	size_t bytes = fgets(buf, sizeof(buf), f) ? strlen(buf) : 0;
	fclose(f);
	log_shutdown();
	unlink(path);

	printf("log_json workflow_timing line (%zu bytes, 13 fields + 5 keys) to a file\n", bytes);
	printf("  1 thread:  %8.0f ns/line  (goal <= 1000 ns)\n", single);
	printf("  8 threads: %8.0f ns/line wall (lines from 8 threads, one lock)\n", threaded);
	printf("  of which rendering (sanitize + escape + format): %6.0f ns (+ one malloc/free here)\n", render);
	printf("  baseline: write(2) of the same %zu bytes alone:  %6.0f ns\n", bytes, raw_write);
	printf("  log_json / bare write(2): %.2fx\n", single / raw_write);
	printf("  with the background writer (photopub serve): %6.0f ns/line for the caller,"
	       " %6.0f ns/line until on disk\n", queued, async_total);
	printf("RESULT log_json_ns %.0f\n", single);
	printf("RESULT log_json_async_ns %.0f\n", queued);
	return 0;
}
