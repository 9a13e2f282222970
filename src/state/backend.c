/* backend.c - the state a configuration names ([State] backend, path and
 * url): the SQLite file or the PostgreSQL database, opened by state_open. */
#include "config/config.h"
#include "state/db.h"
#include "state/state.h"

int state_open_config(const struct config *cfg, bool read_only, struct state **out,
		      struct pp_error *err)
{
	*out = NULL;
	if (cfg->state_backend != STATE_POSTGRES)
		return state_open(cfg->state_path, read_only, out, err);
	if (!cfg->state_url || !*cfg->state_url)
		return pp_fail_kind(err, "state", PP_ERR_CONFIG,
				    "[State] backend = postgres needs [State] url = postgresql://…");
	if (!db_is_url(cfg->state_url))
		return pp_fail_kind(err, "state", PP_ERR_CONFIG,
				    "[State] url must start with postgresql:// or postgres://");
	return state_open(cfg->state_url, read_only, out, err);
}
