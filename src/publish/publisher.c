/* publisher.c - the table of platforms and the lookups over it. Adding a
 * platform: its file, and one row here. */
#include <string.h>
#include "publish/publisher.h"

const struct publisher_ops *const publishers[] = {
	&telegram_publisher,
	&email_publisher,
	&instagram_publisher,
	&mastodon_publisher,
	&pixelfed_publisher,
	&bluesky_publisher,
	&outbox_publisher,
	NULL,
};

const struct publisher_ops *publisher_find(const char *name)
{
	for (size_t i = 0; publishers[i]; i++)
		if (!strcmp(publishers[i]->name, name))
			return publishers[i];
	return NULL;
}

int publisher_index(const char *name)
{
	for (size_t i = 0; name && publishers[i]; i++)
		if (!strcmp(publishers[i]->name, name))
			return (int)i;
	return -1;
}

size_t publisher_count(void)
{
	size_t n = 0;
	while (publishers[n])
		n++;
	return n;
}

void publisher_caption_spec(const struct config *cfg, struct caption_spec *spec)
{
	for (size_t i = 0; publishers[i]; i++)
		if (publishers[i]->ai_spec && publishers[i]->enabled(cfg)) {
			*spec = *publishers[i]->ai_spec;
			return;
		}
	*spec = (struct caption_spec){ .platform = "generic", .style = "minimal_poetic",
				       .hashtags = cfg->hashtag_string ? cfg->hashtag_string : "",
				       .max_length = caption_generic.limit };
}

const char *publish_caption_for(const struct publish_input *in, const char *platform)
{
	for (size_t i = 0; i < in->noverrides; i++)
		if (in->overrides[i].platform && !strcmp(in->overrides[i].platform, platform) &&
		    in->overrides[i].caption)
			return in->overrides[i].caption;
	return in->caption;
}
