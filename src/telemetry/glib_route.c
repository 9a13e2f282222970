/* glib_route.c - routes GLib and libvips messages (g_warning, g_printerr, …)
 * through the logger, so stderr carries nothing but JSON lines. */
#include <glib.h>
#include "telemetry/glib_route.h"
#include "telemetry/log.h"

static void on_glib_log(const gchar *domain, GLogLevelFlags flags, const gchar *message,
			gpointer user_data)
{
	enum log_level level = LOG_DEBUG;
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		level = LOG_ERROR;
	else if (flags & G_LOG_LEVEL_WARNING)
		level = LOG_WARNING;
	else if (flags & G_LOG_LEVEL_MESSAGE)
		level = LOG_INFO;
	log_json(level, "glib", "library_message", NULL,
		 (const struct log_field[]){ LF_STR("domain", domain ? domain : ""),
					     LF_STR("text", message ? message : ""), LF_END });
}

static void on_glib_print(const gchar *text)
{
	log_json(LOG_INFO, "glib", "library_message", NULL,
		 (const struct log_field[]){ LF_STR("domain", ""), LF_STR("text", text), LF_END });
}

static GLogWriterOutput on_glib_structured(GLogLevelFlags flags, const GLogField *fields,
					    gsize n, gpointer user_data)
{
	const char *domain = NULL, *message = NULL;
	for (gsize i = 0; i < n; i++) {
		if (fields[i].length != -1)
			continue;
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	on_glib_log(domain, flags, message, user_data);
	return G_LOG_WRITER_HANDLED;
}

void glib_route_to_log(void)
{
	static gsize once;
	if (!g_once_init_enter(&once))
		return;
	g_log_set_default_handler(on_glib_log, NULL);
	g_log_set_writer_func(on_glib_structured, NULL, NULL);
	g_set_print_handler(on_glib_print);
	g_set_printerr_handler(on_glib_print);
	g_once_init_leave(&once, 1);
}
