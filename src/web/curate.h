/* curate.h - the curation routes: POST /api/images/{filename}/keep,
 * /remove and /delete (rows of web_routes[]; admin only). */
#ifndef PHOTOPUB_WEB_CURATE_H
#define PHOTOPUB_WEB_CURATE_H

#include "web/routes.h"

/* Each answers {filename, action, destination_folder, preview_only}; 403
 * when the action is disabled (delete), 404 when the image is not there. */
int web_h_keep(struct web_request *rq);
int web_h_remove(struct web_request *rq);
int web_h_delete(struct web_request *rq);

#endif
