/* check.c - the configuration checks that need the tables above config:
 * storage backends and publishers. Each backend and platform checks its own
 * settings (its ops' validate); what is checked here is only what lies
 * between them, from their capabilities. */
#include <stdbool.h>
#include <stdlib.h>
#include "core/check.h"
#include "publish/publisher.h"
#include "storage/storage.h"
#include "util/buf.h"

/* The backends that give public URLs, for the message: "dropbox". */
static char *public_url_backends(void)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; storage_backends[i]; i++)
		if (storage_backends[i]->caps & STORAGE_PUBLIC_URLS)
			buf_addf(&b, "%s%s", b.len ? ", " : "", storage_backends[i]->name);
	return buf_detach(&b);
}

const struct config_module *const *check_config_modules(void)
{
	/* Built from two static tables into a static list: the same every call. */
	static const struct config_module *mods[64];
	size_t n = 0;
	for (size_t i = 0; publishers[i] && n + 1 < sizeof(mods) / sizeof(*mods); i++)
		mods[n++] = &publishers[i]->settings;
	for (size_t i = 0; storage_backends[i] && n + 1 < sizeof(mods) / sizeof(*mods); i++)
		mods[n++] = &storage_backends[i]->settings;
	mods[n++] = &storage_folder_settings;
	mods[n] = NULL;
	return mods;
}

int check_platform(const struct config *cfg, const struct publisher_ops *p,
		   struct config_error *e)
{
	int rc = 0;
	if (p->validate && p->validate(cfg, e) < 0)
		rc = -1;
	const struct storage_ops *st = storage_backend_find(cfg->backend);
	if (st && p->caps.needs_public_url && !(st->caps & STORAGE_PUBLIC_URLS)) {
		char *which = public_url_backends();
		rc = config_fail(e, cfg->path, p->section, p->key,
				 "%s fetches the image from a public URL, which the %s backend "
				 "does not give (backends that do: %s)",
				 p->name, st->name, *which ? which : "none");
		free(which);
	}
	return rc;
}

int check_config(const struct config *cfg, const struct config_options *opts,
		 struct config_error *e)
{
	int rc = storage_validate(cfg, e);
	bool any = false;
	for (size_t i = 0; publishers[i]; i++) {
		if (!publishers[i]->enabled(cfg))
			continue;
		any = true;
		if (check_platform(cfg, publishers[i], e) < 0)
			rc = -1;
	}
	/* Without one secret, each replica of serve signs with its own key
	 * and refuses the others' cookies. */
	if (cfg->state_backend == STATE_POSTGRES && cfg->web_admin_pw && !cfg->web_session_secret) {
		config_warn(e, "environment", 0, NULL, "WEB_SESSION_SECRET",
			    "not set while the state is PostgreSQL: replicas of serve over it "
			    "accept each other's admin sessions only with the same secret");
		config_hint(e, "set the same WEB_SESSION_SECRET for every replica");
	}
	if (!any && !opts->for_web && !opts->preview) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; publishers[i]; i++)
			buf_addf(&b, "%s[%s] %s", i ? ", " : "", publishers[i]->section,
				 publishers[i]->key);
		rc = config_fail(e, cfg->path, "Content", NULL,
				 "no platform is enabled: set one of %s to true", buf_str(&b));
		buf_release(&b);
	}
	return rc;
}
