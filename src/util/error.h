/* error.h - the error every fallible function fills for its caller to print.
 *
 * Functions return 0 on success and -1 on failure, after filling a
 * caller-owned struct pp_error: a kind from the one table below (what the
 * caller can act on — jansson's json_error_code is the model) and a human
 * message. The table also says how a web reply and the CLI answer each
 * kind, so no layer relabels an error: it passes the struct up, adding to
 * the message if it must. `where` names the component ("storage.local",
 * "config", …); msg is sanitized of secrets by whoever shows it. */
#ifndef PHOTOPUB_UTIL_ERROR_H
#define PHOTOPUB_UTIL_ERROR_H

#include <stdarg.h>

/*      kind           name              HTTP  exit  meaning */
#define PP_ERROR_KINDS(X)                                                                   \
	X(NONE,         "none",           200,  0) /* no error */                            \
	X(INTERNAL,     "internal",       500,  1) /* a defect or out of resources */        \
	X(CONFIG,       "config",         500,  2) /* the configuration is wrong */          \
	X(INVALID,      "invalid",        400,  1) /* a bad argument, name or request */     \
	X(NOT_FOUND,    "not_found",      404,  1) /* no such image or object */             \
	X(REFUSED,      "refused",        404,  1) /* a name that would leave the folder */   \
	X(NO_IMAGES,    "no_images",      404,  1) /* the folder holds no image */           \
	X(ALL_POSTED,   "all_duplicates", 409,  1) /* every image was posted already */      \
	X(BAD_PLATFORM, "bad_platform",   422,  1) /* a platform that is unknown or off */    \
	X(UNDECODABLE,  "undecodable",    422,  1) /* not an image we can decode */          \
	X(TOO_LARGE,    "too_large",      413,  1) /* over a size limit */                   \
	X(UNSUPPORTED,  "unsupported",    422,  1) /* the backend or image cannot do it */    \
	X(AUTH,         "auth",           502,  1) /* a remote service refused our keys */    \
	X(RATE_LIMITED, "rate_limited",   503,  1) /* a remote service said: later */         \
	X(TIMEOUT,      "timeout",        504,  1) /* no answer in time */                   \
	X(UNAVAILABLE,  "unavailable",    503,  1) /* cannot connect, or a remote 5xx */      \
	X(REMOTE,       "remote",         502,  1) /* a remote answer we cannot use */        \
	X(IO,           "io",             500,  1) /* reading or writing a file failed */     \
	X(DB,           "db",             500,  1) /* the state database failed */           \
	X(PUBLISH,      "publish",        502,  1) /* every platform failed */               \
	X(DISABLED,     "disabled",       403,  2) /* the configuration does not allow it */ \
	X(CONFLICT,     "conflict",       409,  1) /* nothing to do, or not now (a retry of a \
						      run with nothing left to send) */

enum pp_error_kind {
#define X(id, name, http, exit) PP_ERR_##id,
	PP_ERROR_KINDS(X)
#undef X
	PP_ERR_COUNT
};

struct pp_error {
	enum pp_error_kind kind;  /* PP_ERR_NONE until something fails */
	const char *where;  /* static string: component that failed */
	int http_status;    /* HTTP status of a remote failure, else 0 */
	int transient;      /* 1 when a retry could succeed (timeouts, 429, 5xx) */
	int retry_after;    /* seconds a remote service asked us to wait, 0: none */
	char msg[512];      /* human-readable message */
};

/* Fills err (when not NULL) with kind PP_ERR_INTERNAL unless a kind is set
 * already, and returns -1, so code reads
 * `return pp_fail(err, "storage.local", "cannot open %s", name);`. */
int pp_fail(struct pp_error *err, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pp_vfail(struct pp_error *err, const char *where, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like pp_fail with this kind. */
int pp_fail_kind(struct pp_error *err, const char *where, enum pp_error_kind kind,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Resets err to "no error". */
void pp_error_clear(struct pp_error *err);

/* The kind's row: its name ("rate_limited"), the HTTP status a web reply
 * gives it, the exit code a command gives it. */
const char *pp_error_name(enum pp_error_kind kind);
int pp_error_http_status(enum pp_error_kind kind);
int pp_error_exit_code(enum pp_error_kind kind);

#endif
