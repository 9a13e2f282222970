/* publisher.c - the table of platforms. Adding a platform: its file, and
 * one row here. */
#include <string.h>
#include "publish/publisher.h"

const struct publisher_ops *const publishers[] = {
	&telegram_publisher,
	&email_publisher,
	&instagram_publisher,
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
