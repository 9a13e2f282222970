/* email.c - the email publisher, which is how FetLife takes uploads: one mail
 * to [Email] recipient with the original photo attached, and optionally a
 * confirmation to the sender with the image tags, both over one SMTP session
 * (libcurl). RFC 5321 SMTP, RFC 3207 STARTTLS, RFC 8314 implicit TLS,
 * RFC 4954 AUTH, RFC 5322 message format, RFC 2045-2049 MIME, RFC 2047 encoded
 * words (publish/mime_words.c). post_id = the upload mail's Message-ID. */
#include <curl/curl.h>
#include <glib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "caption/format.h"
#include "publish/mime_words.h"
#include "publish/publisher.h"
#include "publish/sendable.h"
#include "telemetry/correlation.h"
#include "telemetry/log.h"
#include "telemetry/sanitize.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/strv.h"
#include "util/utf8.h"

#define WHERE "publisher.email"
#define LOGGER "publisher.email"
#define NO_CAPTION_SUBJECT "Photo upload"
#define CONFIRM_PREFIX "Posted: "
#define TAGS_NATURE_DEFAULT "FetLife context"
#define MSGID_DOMAIN_DEFAULT "photopub.local"

/* What the run sends, worked out once for publish and preview alike. */
struct plan {
	char *caption;          /* the caption as email takes it, on one line */
	char *subject;          /* the upload's subject, decoded */
	char *body;             /* the upload's body */
	char *tags_line;        /* "Image Tags (FetLife context): a, b" */
	char *confirm_subject;
	char *confirm_body;     /* body, then "\n\n---\n" and the tags line */
};

/* One mail on the wire. */
struct mail {
	const char *to;
	const char *subject;    /* decoded text */
	const char *body;       /* LF or CRLF line ends */
	bool attach;            /* the original image goes with it */
	const char *in_reply_to;/* Message-ID this one follows, or NULL */
	char message_id[UUID_STR_LEN + 256];
};

/* ---- checks -------------------------------------------------------- */

/* A bare addr-spec we can put in a header and an SMTP command as is: one
 * '@' with text on both sides, ASCII, no whitespace, controls or the
 * characters that delimit addresses in headers. */
static bool address_ok(const char *a)
{
	const char *at;

	if (!a || !*a || strlen(a) > 254)
		return false;
	for (const char *p = a; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c))
			return false;
	}
	at = strchr(a, '@');
	return at && at != a && at[1] && !strchr(at + 1, '@');
}

/* A host name or address literal that cannot change the URL's meaning. */
static bool server_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 253)
		return false;
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr(".-_:[]", *p))
			return false;
	return true;
}

/* FetLife takes the subject as the caption: a short open question. */
static const struct caption_spec fetlife_spec = {
	.platform = "fetlife_email",
	.style = "engagement_question",
	.hashtags = "",
	.max_length = 240,
};

static bool email_enabled(const struct config *cfg)
{
	return cfg->fetlife;
}

static int email_validate(const struct config *cfg, struct config_error *e)
{
	const char *file = cfg->path;
	int rc = 0;
	if (!cfg->email_sender || !*cfg->email_sender)
		rc = config_fail(e, file, "Email", "sender", "required with [Content] fetlife = true");
	else if (!address_ok(cfg->email_sender))
		rc = config_fail(e, file, "Email", "sender",
				 "is not a plain mail address (name@domain)");
	if (!cfg->email_recipient || !*cfg->email_recipient)
		rc = config_fail(e, file, "Email", "recipient",
				 "required with [Content] fetlife = true");
	else if (!address_ok(cfg->email_recipient))
		rc = config_fail(e, file, "Email", "recipient",
				 "is not a plain mail address (name@domain)");
	if (config_need_env(e, cfg->email_password, "EMAIL_PASSWORD",
			    "[Content] fetlife = true") < 0)
		rc = -1;
	if (!server_ok(cfg->smtp_server))
		rc = config_fail(e, file, "Email", "smtp_server", "is not a host name");
	if (cfg->smtp_port < 1 || cfg->smtp_port > 65535)
		rc = config_fail(e, file, "Email", "smtp_port", "is out of range");
	return rc;
}

/* ---- subject, body, tags -------------------------------------------- */

/* s with every control character (CR and LF included) turned into a space
 * and the ends trimmed: text that is safe on one header line. Caller frees. */
static char *one_line(const char *s)
{
	char *t = xstrdup(s ? s : "");
	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return g_strstrip(t);
}

/* One tag as the confirmation lists it: lowercased, '#' removed, anything
 * but letters and digits (of any script) a space, runs of spaces collapsed,
 * ends trimmed. Caller frees; may return "". */
static char *tag_normalize(const char *tag)
{
	struct buf b = BUF_INIT;
	const char *p = tag;
	bool space = false;

	buf_adds(&b, "");
	while (*p) {
		uint32_t c;
		p += utf8_decode(p, strnlen(p, 4), &c);
		if (c == UTF8_BAD)
			c = ' ';
		if (c == '#')
			continue;
		if (!g_unichar_isalnum(c)) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_addc(&b, ' ');
		space = false;
		char out[8];
		buf_add(&b, out, (size_t)g_unichar_to_utf8(g_unichar_tolower(c), out));
	}
	return buf_detach(&b);
}

/* "Image Tags (<nature>): a, b, c" with the first confirmation_tags_count
 * distinct normalized tags, or "(none)". Caller frees. */
static char *tags_line(const struct config *cfg, const struct analysis *an)
{
	struct strv tags = STRV_INIT;
	char *nature = one_line(cfg->confirmation_tags_nature);
	char *list, *line;

	for (size_t i = 0; an && i < an->tags.n && tags.n < (size_t)cfg->confirmation_tags_count;
	     i++) {
		char *t = tag_normalize(an->tags.v[i]);
		if (*t)
			strv_push_unique(&tags, t);
		free(t);
	}
	list = tags.n ? strv_join(&tags, ", ") : xstrdup("(none)");
	line = xasprintf("Image Tags (%s): %s", *nature ? nature : TAGS_NATURE_DEFAULT, list);
	free(list);
	free(nature);
	strv_release(&tags);
	return line;
}

static const char *subject_prefix(enum subject_mode m)
{
	switch (m) {
	case SUBJECT_PRIVATE: return "Private: ";
	case SUBJECT_AVATAR: return "Avatar: ";
	default: return "";
	}
}

static void plan_init(const struct config *cfg, const struct publish_input *in, struct plan *p)
{
	char *formatted = caption_apply(&email_publisher.caption, in->caption);
	const char *prefix = subject_prefix(cfg->subject_mode);

	p->caption = one_line(formatted);
	free(formatted);
	if (cfg->caption_target == TARGET_BODY || !*p->caption)
		p->subject = xasprintf("%s%s", prefix, NO_CAPTION_SUBJECT);
	else
		p->subject = xasprintf("%s%s", prefix, p->caption);
	p->body = xstrdup(p->caption);
	p->tags_line = tags_line(cfg, in->analysis);
	p->confirm_subject = xasprintf("%s%s", CONFIRM_PREFIX, p->subject);
	p->confirm_body = xasprintf("%s\n\n---\n%s", p->body, p->tags_line);
}

static void plan_release(struct plan *p)
{
	free(p->caption);
	free(p->subject);
	free(p->body);
	free(p->tags_line);
	free(p->confirm_subject);
	free(p->confirm_body);
	*p = (struct plan){ 0 };
}

/* ---- the message ------------------------------------------------------ */

/* RFC 5322 date-time in UTC, with English names whatever the locale. */
static void mail_date(char *out, size_t n)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "<uuid@domain>", the domain being the sender's. */
static void message_id(const char *sender, char *out, size_t n)
{
	char id[UUID_STR_LEN];
	const char *at = sender ? strrchr(sender, '@') : NULL;
	const char *domain = at && at[1] ? at + 1 : MSGID_DOMAIN_DEFAULT;

	uuid4(id);
	snprintf(out, n, "<%s@%s>", id, domain);
}

/* text with every line ending CRLF, as SMTP carries it. Caller frees. */
static char *crlf(const char *text)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "");
	for (const char *p = text; *p; p++) {
		if (*p == '\r') {
			buf_adds(&b, "\r\n");
			if (p[1] == '\n')
				p++;
		} else if (*p == '\n') {
			buf_adds(&b, "\r\n");
		} else {
			buf_addc(&b, *p);
		}
	}
	return buf_detach(&b);
}

/* 7bit when every line is short ASCII, else quoted-printable. */
static const char *body_encoding(const char *text)
{
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p >= 0x80)
			return "quoted-printable";
		col = *p == '\n' ? 0 : col + 1;
		if (col > 76)
			return "quoted-printable";
	}
	return "7bit";
}

static const char *image_type(const char *name)
{
	const char *ext = fs_ext(name);

	if (!strcasecmp(ext, ".jpg") || !strcasecmp(ext, ".jpeg"))
		return "image/jpeg";
	if (!strcasecmp(ext, ".png"))
		return "image/png";
	return "application/octet-stream";
}

/* Adds the image file, unchanged, as a base64 attachment named name, with
 * its alt text (when there is one) as the part's Content-Description
 * (RFC 2045; encoded words for text beyond ASCII). */
static int attach_image(curl_mime *mime, const char *path, const char *name, const char *alt,
			struct curl_slist **headers, struct pp_error *err)
{
	curl_mimepart *part = curl_mime_addpart(mime);
	bool ascii = true;
	char *safe = xstrdup(name && *name ? name : "image");

	/* libcurl escapes quotes and backslashes in a mail's filename but
	 * passes line breaks through: no control character may reach it. */
	for (unsigned char *p = (unsigned char *)safe; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '_';
		else if (*p >= 0x80)
			ascii = false;
	}
	if (!part || curl_mime_filedata(part, path) != CURLE_OK ||
	    curl_mime_type(part, image_type(safe)) != CURLE_OK ||
	    curl_mime_encoder(part, "base64") != CURLE_OK) {
		free(safe);
		return pp_fail(err, WHERE, "cannot attach %s", name);
	}
	if (alt && *alt && !mime_has_line_break(alt)) {
		char *v = mime_header_value(alt, strlen("Content-Description: "), err);
		if (!v) {
			free(safe);
			return -1;
		}
		char *h = xasprintf("Content-Description: %s", v);
		*headers = curl_slist_append(*headers, h);
		free(h);
		free(v);
	}
	if (ascii) {
		curl_mime_filename(part, safe);
	} else {
		/* RFC 2231 parameter for a name beyond ASCII */
		struct buf d = BUF_INIT;
		buf_adds(&d, "Content-Disposition: attachment; filename*=UTF-8''");
		for (const unsigned char *p = (const unsigned char *)safe; *p; p++) {
			if (g_ascii_isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
				buf_addc(&d, (char)*p);
			else
				buf_addf(&d, "%%%02X", *p);
		}
		*headers = curl_slist_append(*headers, buf_str(&d));
		buf_release(&d);
	}
	if (*headers)
		curl_mime_headers(part, *headers, 0);
	free(safe);
	return 0;
}

static size_t discard(char *data, size_t size, size_t n, void *user)
{
	(void)data;
	(void)user;
	return size * n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *server_url(const struct config *cfg)
{
	const char *scheme = cfg->email_security == EMAIL_TLS ? "smtps" : "smtp";
	bool v6 = strchr(cfg->smtp_server, ':') && cfg->smtp_server[0] != '[';

	return xasprintf("%s://%s%s%s:%d", scheme, v6 ? "[" : "", cfg->smtp_server,
			 v6 ? "]" : "", cfg->smtp_port);
}

/* The handle both mails share, so the second one reuses the connection. */
static CURL *session_open(const struct config *cfg, char *errbuf, struct pp_error *err)
{
	CURL *h;
	char *url;
	int bad = 0;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK || !(h = curl_easy_init())) {
		pp_fail(err, WHERE, "cannot start libcurl");
		return NULL;
	}
	url = server_url(cfg);
#define SET(opt, val) (bad |= curl_easy_setopt(h, opt, val) != CURLE_OK)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_VERBOSE, 0L);
	SET(CURLOPT_NOPROGRESS, 1L);
	SET(CURLOPT_WRITEFUNCTION, discard);
	SET(CURLOPT_CONNECTTIMEOUT, (long)(cfg->http_connect_timeout > 0 ? cfg->http_connect_timeout : 10));
	SET(CURLOPT_TIMEOUT, (long)(cfg->http_timeout > 0 ? cfg->http_timeout : 60));
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->email_ca_file && *cfg->email_ca_file)
		SET(CURLOPT_CAINFO, cfg->email_ca_file);
	if (cfg->email_security == EMAIL_STARTTLS)
		SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->email_password && *cfg->email_password) {
		SET(CURLOPT_USERNAME, cfg->email_sender);
		SET(CURLOPT_PASSWORD, cfg->email_password);
	}
#undef SET
	free(url);
	if (bad) {
		curl_easy_cleanup(h);
		pp_fail(err, WHERE, "this libcurl lacks SMTP support");
		return NULL;
	}
	return h;
}

/* Fills err for a failed transfer: what failed, why in words, the server's
 * last reply code and libcurl's message. No credentials ever reach it. */
static int smtp_fail(struct pp_error *err, const struct config *cfg, const char *what,
		     CURLcode rc, long reply, const char *errbuf)
{
	enum pp_error_kind kind = PP_ERR_REMOTE;
	const char *why = "SMTP error";
	char *url = server_url(cfg);
	char code[48] = "";

	switch (rc) {
	case CURLE_LOGIN_DENIED:
		kind = PP_ERR_AUTH;
		why = "authentication failed (check [Email] sender and EMAIL_PASSWORD)";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		kind = PP_ERR_AUTH;
		why = "TLS certificate verification failed";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		kind = PP_ERR_AUTH;
		why = "TLS handshake failed";
		break;
	case CURLE_SSL_CACERT_BADFILE:
		kind = PP_ERR_AUTH;
		why = "cannot use [Email] ca_file";
		break;
	case CURLE_USE_SSL_FAILED:
		kind = PP_ERR_AUTH;
		why = "the server does not offer STARTTLS";
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		kind = PP_ERR_UNAVAILABLE;
		why = "cannot resolve the server";
		break;
	case CURLE_COULDNT_CONNECT:
		kind = PP_ERR_UNAVAILABLE;
		why = "cannot connect to the server";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		kind = PP_ERR_TIMEOUT;
		why = "timed out";
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (reply >= 400) {
			/* libcurl reports a refused MAIL, RCPT or DATA this way */
			kind = reply < 500 ? PP_ERR_UNAVAILABLE : PP_ERR_REMOTE; /* 4xx: try later */
			why = "the server refused the mail";
			break;
		}
		/* fall through */
	case CURLE_GOT_NOTHING:
	case CURLE_WEIRD_SERVER_REPLY:
		kind = PP_ERR_UNAVAILABLE;
		why = "the connection failed";
		break;
	case CURLE_READ_ERROR:
		kind = PP_ERR_IO;
		why = "cannot read the image";
		break;
	default:
		break;
	}
	if (reply >= 400)
		snprintf(code, sizeof(code), " (SMTP reply %ld)", reply);
	pp_fail_kind(err, WHERE, kind, "%s via %s: %s%s: %s", what, url, why, code,
		     errbuf && *errbuf ? errbuf : curl_easy_strerror(rc));
	err->transient = kind == PP_ERR_TIMEOUT || kind == PP_ERR_UNAVAILABLE;
	sanitize_inplace(err->msg, sizeof(err->msg));
	free(url);
	return -1;
}

/* Appends one header line; every value was checked or encoded before. */
__attribute__((format(printf, 2, 3)))
static void add_header(struct curl_slist **list, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	struct curl_slist *grown = curl_slist_append(*list, line);
	if (!grown)
		abort();
	*list = grown;
	free(line);
}

/* Sends one mail on the session. Fills m->message_id. */
static int send_mail(CURL *h, char *errbuf, const struct config *cfg,
		     const struct publish_input *in, struct mail *m, const char *what,
		     struct pp_error *err)
{
	int rc = -1;
	struct curl_slist *headers = NULL, *rcpt = NULL, *part_headers = NULL;
	curl_mime *mime = NULL;
	char *subject = NULL, *body = NULL, *line = NULL, *from = NULL;
	char date[64];
	CURLcode cc;
	long reply = 0;

	if (!address_ok(cfg->email_sender) || !address_ok(m->to)) {
		pp_fail_kind(err, WHERE, PP_ERR_CONFIG, "%s: the sender or recipient is not a plain mail address",
			     what);
		goto out;
	}
	subject = mime_header_value(m->subject, strlen("Subject: "), err);
	if (!subject)
		goto out;
	mail_date(date, sizeof(date));
	message_id(cfg->email_sender, m->message_id, sizeof(m->message_id));

	add_header(&headers, "From: %s", cfg->email_sender);
	add_header(&headers, "To: %s", m->to);
	add_header(&headers, "Subject: %s", subject);
	add_header(&headers, "Date: %s", date);
	add_header(&headers, "Message-ID: %s", m->message_id);
	if (m->in_reply_to) {
		add_header(&headers, "In-Reply-To: %s", m->in_reply_to);
		add_header(&headers, "References: %s", m->in_reply_to);
	}
	add_header(&headers, "MIME-Version: 1.0");
	line = xasprintf("<%s>", m->to);
	rcpt = curl_slist_append(rcpt, line);
	from = xasprintf("<%s>", cfg->email_sender);

	mime = curl_mime_init(h);
	curl_mimepart *text = curl_mime_addpart(mime);
	body = crlf(m->body);
	if (!text || curl_mime_data(text, body, CURL_ZERO_TERMINATED) != CURLE_OK ||
	    curl_mime_type(text, "text/plain; charset=utf-8") != CURLE_OK ||
	    curl_mime_encoder(text, body_encoding(body)) != CURLE_OK) {
		pp_fail(err, WHERE, "%s: cannot build the message", what);
		goto out;
	}
	if (m->attach && attach_image(mime, in->image_path, in->image_name, in->alt_text,
				     &part_headers, err) < 0)
		goto out;

	errbuf[0] = '\0';
	if (curl_easy_setopt(h, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime) != CURLE_OK) {
		pp_fail(err, WHERE, "%s: this libcurl cannot send MIME mail", what);
		goto out;
	}
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
	if (cc != CURLE_OK) {
		smtp_fail(err, cfg, what, cc, reply, errbuf);
		goto out;
	}
	rc = 0;
out:
	/* Nothing the handle keeps may point at what is freed here. */
	curl_easy_setopt(h, CURLOPT_MIMEPOST, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, NULL);
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(part_headers);
	free(line);
	free(from);
	free(subject);
	free(body);
	return rc;
}

/* ---- the ops ---------------------------------------------------------- */

static int email_publish(const struct config *cfg, const struct publish_input *in,
			 struct publish_result *out, struct pp_error *err)
{
	int rc = -1;
	struct plan p = { 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	struct mail upload = { 0 }, confirm = { 0 };
	struct sendable file = { 0 };

	struct config_error ce = { 0 };
	if (email_validate(cfg, &ce) < 0)
		return pp_fail(err, WHERE, "%s", ce.msg);
	/* The attachment is a JPEG or PNG: a WebP, TIFF or HEIC goes as a JPEG. */
	if (sendable_prepare(in, &file, err) < 0)
		goto out;
	in = &file.in;
	plan_init(cfg, in, &p);
	if (!(h = session_open(cfg, errbuf, err)))
		goto out;

	upload = (struct mail){ .to = cfg->email_recipient, .subject = p.subject,
				.body = p.body, .attach = true };
	if (send_mail(h, errbuf, cfg, in, &upload, "upload mail", err) < 0)
		goto out;
	out->success = true;
	out->post_id = xstrdup(upload.message_id);
	rc = 0;

	if (cfg->confirmation_to_sender) {
		/* The upload went out: a failed confirmation is worth a warning,
		 * not a failed publish. */
		struct pp_error cerr = { 0 };
		confirm = (struct mail){ .to = cfg->email_sender, .subject = p.confirm_subject,
					 .body = p.confirm_body, .in_reply_to = upload.message_id };
		if (send_mail(h, errbuf, cfg, in, &confirm, "confirmation mail", &cerr) < 0)
			log_warning(LOGGER, "email_confirmation_failed", pp_cid(&in->ctx),
				    LF_STR("platform", "email"), LF_STR("post_id", upload.message_id),
				    LF_STR("error", cerr.msg));
	}
out:
	if (h)
		curl_easy_cleanup(h); /* QUIT */
	plan_release(&p);
	sendable_release(&file);
	return rc;
}

static const char *target_words(enum caption_target t)
{
	switch (t) {
	case TARGET_BODY: return "body (subject \"" NO_CAPTION_SUBJECT "\" plus the prefix)";
	case TARGET_BOTH: return "subject and body";
	default: return "subject and body (caption_target = subject)";
	}
}

static void email_preview(const struct config *cfg, const struct publish_input *in, FILE *f)
{
	struct plan p = { 0 };
	char *url = server_url(cfg);

	plan_init(cfg, in, &p);
	fprintf(f, "  to:      %s (from %s via %s, %s%s)\n", cfg->email_recipient,
		cfg->email_sender, url, config_email_security_name(cfg->email_security),
		cfg->email_password && *cfg->email_password ? ", login as the sender" : "");
	fprintf(f, "  subject: %s\n", p.subject);
	fprintf(f, "  caption: in the %s\n", target_words(cfg->caption_target));
	fprintf(f, "  body:    %s\n", p.body);
	if (sendable_as_is(in))
		fprintf(f, "  attach:  %s (%s, the original file)\n", in->image_name ? in->image_name : "",
			image_type(in->image_name ? in->image_name : ""));
	else
		fprintf(f, "  attach:  %s as a JPEG (image/jpeg: mail takes no %s)\n",
			in->image_name ? in->image_name : "", in->info ? in->info->format : "such file");
	if (in->alt_text && *in->alt_text)
		fprintf(f, "  alt:     %s (the attachment's Content-Description)\n", in->alt_text);
	if (cfg->confirmation_to_sender) {
		fprintf(f, "  confirmation: to %s, subject: %s\n", cfg->email_sender,
			p.confirm_subject);
		fprintf(f, "    %s\n", p.tags_line);
	} else {
		fprintf(f, "  confirmation: none (confirmation_to_sender = false)\n");
	}
	free(url);
	plan_release(&p);
}

const struct publisher_ops email_publisher = {
	.name = "email",
	.section = "Content",
	.key = "fetlife",
	.caption = { .limit = 240, .one_line = true },
	.ai_spec = &fetlife_spec,
	/* The original file, attached unchanged, its alt text as the
	 * attachment's Content-Description. */
	.caps = { .alt_text = true, .formats = "any" },
	.enabled = email_enabled,
	.validate = email_validate,
	.publish = email_publish,
	.preview = email_preview,
};
