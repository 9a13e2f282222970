/* history.h - GET /api/history?since=T&platform=P&limit=N (admin only): the
 * publication history and curation actions, newest first. */
#ifndef PHOTOPUB_WEB_HISTORY_H
#define PHOTOPUB_WEB_HISTORY_H

#include "web/routes.h"

/* {"entries": [rows as `photopub history --json` gives them], "count": the
 * number of entries}; since as `photopub stats --since` takes it, limit
 * 1..1000 (default 100). 400 on a bad parameter. */
int web_h_history(struct web_request *rq);

#endif
