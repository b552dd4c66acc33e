/* What every handler sees: the request with its route, caller and parsed
 * body, and the helpers to validate input and reply. */
#ifndef SERVER_API_H
#define SERVER_API_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "server/http.h"
#include "server/server.h"

#define API_ARGS_MAX 4
#define API_ID_MAX 64

enum api_role { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_RELEASE = 2,
    ROLE_ADMIN = 3 };

/* Who is calling: a management token or a device. */
struct api_who {
	enum api_role role;		/* ROLE_NONE for a device or nobody */
	char name[65];			/* token name, for the audit trail */
	int64_t device;			/* device row id, or 0 */
	char device_id[API_ID_MAX + 1];
	char hw_class[API_ID_MAX + 1];
	char fw_version[API_ID_MAX + 1];	/* as last recorded */
};

struct api_req {
	struct srv *srv;
	struct http_req *http;
	const struct api_route *route;
	char args[API_ARGS_MAX][129];	/* path parameters, in order */
	struct api_who who;
	json_t *json;			/* parsed body, or NULL */
	int rc;				/* result of a deferred write */
	void *state;			/* a handler's own, freed by cleanup */
	void (*cleanup)(struct api_req *a, int ok);
	void (*then)(struct api_req *a, int rc);
};

/* ---- replies ---- */
/* Replies with the compact dump of doc (reference stolen). */
void api_json(struct api_req *a, int status, json_t *doc);
/* Replies {"error": {code, message}} with the status. */
void api_err(struct api_req *a, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Replies 500 after a store failure (already logged by the store). */
void api_err_db(struct api_req *a, int rc, const char *what);

/* Runs fn on the writer; once committed, 'then' runs with its result on
 * the request's thread and must reply. */
void api_write(struct api_req *a, db_write_fn fn, void *arg,
    void (*then)(struct api_req *a, int rc));

/* ---- input: each returns 0, or -1 having replied 422 naming the field */
/* A string field of min..max bytes; optional fields leave *out NULL. */
int api_str(struct api_req *a, json_t *obj, const char *field, int required,
    size_t min, size_t max, const char **out);
/* An identifier: 1..64 of [A-Za-z0-9._:-], starting alphanumeric. */
int api_ident(struct api_req *a, json_t *obj, const char *field, int required,
    const char **out);
/* An integer in [min, max]; optional fields keep *out unchanged. */
int api_int(struct api_req *a, json_t *obj, const char *field, int required,
    int64_t min, int64_t max, int64_t *out);
/* A boolean; optional fields keep *out unchanged. */
int api_bool(struct api_req *a, json_t *obj, const char *field, int *out);
/* Refuses fields other than the NULL-terminated list allowed. */
int api_only(struct api_req *a, json_t *obj, const char *const *allowed);
/* 1 if s is a valid identifier (see api_ident). */
int api_valid_ident(const char *s);

/* ---- pagination: ?limit=N (1..1000, default 100) & after=CURSOR ---- */
int api_page(struct api_req *a, int64_t *limit, const char **after);

/* ---- time ---- */
/* RFC 3339 string for t (a new reference), or JSON null for 0. */
json_t *api_time(int64_t t);


/* ---- routes ---- */
enum api_need {
	NEED_PUBLIC,		/* anyone */
	NEED_VIEWER,		/* any management token */
	NEED_RELEASE,		/* release or admin */
	NEED_ADMIN,		/* admin */
	NEED_DEVICE,		/* a device token */
	NEED_ARTIFACT,		/* a device or management token, or nobody
				 * when artifacts_public is set */
};

enum api_body { BODY_NO, BODY_JSON, BODY_BULK, BODY_RAW };

struct api_route {
	enum http_method method;
	const char *pattern;	/* "/v1/releases/{}/revoke": {} is one segment */
	enum api_need need;
	enum api_body body;
	void (*fn)(struct api_req *a);
	/* BODY_RAW only: at begin, sets up http_expect_stream; 0, or -1
	 * having replied. */
	int (*stream)(struct api_req *a);
};

/* The application callbacks for the HTTP layer; app is a struct srv *. */
extern const struct http_app api_app_template;

/* Checks the caller against what the route needs; 0, or -1 having
 * replied 401/403. Fills a->who. */
int api_auth(struct api_req *a, enum api_need need);

#endif
