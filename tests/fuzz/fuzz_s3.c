/* fuzz_s3.c - S3 replies through the parsers of storage/s3_xml.c: a
 * ListObjectsV2 page (keys, sizes, the truncated flag and its token) and
 * an <Error> document, with the invariants the backend relies on. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "storage/s3.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	struct s3_page p;
	struct pp_error err = { 0 };
	if (s3_parse_list(xml, size, &p, &err) == 0) {
		if (p.n > S3_PAGE_MAX || (p.truncated && !p.next_token))
			abort();
		for (size_t i = 0; i < p.n; i++)
			if (!p.objects[i].key || strlen(p.objects[i].key) > S3_KEY_MAX ||
			    p.objects[i].size < 0)
				abort();
		s3_page_release(&p);
	} else if (err.kind == PP_ERR_NONE || p.objects || p.n) {
		abort();
	}
	struct s3_error_reply r;
	if (s3_parse_error(xml, size, &r) == 0 &&
	    (strlen(r.code) >= sizeof(r.code) || strlen(r.message) >= sizeof(r.message)))
		abort();
	return 0;
}
