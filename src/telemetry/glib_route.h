/* glib_route.h - send GLib/libvips messages to the JSON logger. */
#ifndef PHOTOPUB_TELEMETRY_GLIB_ROUTE_H
#define PHOTOPUB_TELEMETRY_GLIB_ROUTE_H

/* Installs the handlers; call once at start-up, before libvips is used. */
void glib_route_to_log(void);

#endif
