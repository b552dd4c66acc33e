/* What every handler sees: the request with its route, caller and parsed
 * body, and the helpers to validate input and reply. */
#ifndef API_API_H
#define API_API_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "http/http.h"
#include "api/jsonv.h"
#include "api/server.h"
#include "rollout/rollout.h"

#define API_ARGS_MAX 4
#define API_ARG_MAX 129
#define API_ID_MAX 64

/* viewer < release < admin; gateway stands outside that order: it is
 * accepted on hawkBit DDI paths only (NEED_DDI), as any device. */
enum api_role { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_RELEASE = 2,
    ROLE_ADMIN = 3, ROLE_GATEWAY = 4 };

/* Who is calling: a management token or a device. */
struct api_who {
	enum api_role role;		/* ROLE_NONE for a device or nobody */
	char name[65];			/* token name, for the audit trail */
	int64_t expires_at;		/* a management token's expiry, 0: never */
	int64_t device;			/* device row id, or 0 */
	char device_id[API_ID_MAX + 1];
	char hw_class[API_ID_MAX + 1];
	char fw_version[API_ID_MAX + 1];	/* as last recorded */
	int64_t offer_release;		/* the device's direct offer, or 0 */
	enum rollout_device_state offer_state;	/* and its state */
};

/* The audit trail's view of one management call (api/audit.c). */
struct api_audit {
	int on;				/* this call is recorded */
	int64_t at;			/* when it began */
	int64_t row;			/* the row its write inserted, or 0 */
	db_write_fn fn;			/* the handler's write, wrapped */
	void *arg;
	char object_id[API_ARG_MAX];	/* "" until the path or handler says */
	char note[256];			/* what changed, as the handler says */
	char error[40];			/* the error code replied, if any */
};

#define API_REQUEST_ID_MAX 64

struct api_req {
	struct srv *srv;
	struct http_req *http;
	const struct api_route *route;
	char args[API_ARGS_MAX][API_ARG_MAX];	/* path parameters, in order */
	struct api_who who;
	json_t *json;			/* parsed body, or NULL */
	int rc;				/* result of a deferred write */
	char err[256];			/* what a jv_* check found wrong */
	void *state;			/* a handler's own, freed by cleanup */
	void (*cleanup)(struct api_req *a, int ok);
	void (*then)(struct api_req *a, int rc);
	char request_id[API_REQUEST_ID_MAX + 1];
	char client[48];		/* the client's address */
	struct api_audit audit;
};

/* ---- replies ---- */
/* Replies with the compact dump of doc (reference stolen). */
void api_json(struct api_req *a, int status, json_t *doc);
/* Replies {"error": {code, message}} with the status. */
void api_err(struct api_req *a, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Replies 503 store_unavailable after a store failure (already logged by
 * the store): nothing was changed and the call may be retried. */
void api_err_db(struct api_req *a, int rc, const char *what);

/* Runs fn on the writer; once committed, 'then' runs with its result on
 * the request's thread and must reply. */
void api_write(struct api_req *a, db_write_fn fn, void *arg,
    void (*then)(struct api_req *a, int rc));

/* ---- the audit trail (api/audit.c) ---- */
/* What the call changed, in a few words, for its audit record ("tags
 * lab -> field"); the object and the action are recorded anyway. */
void api_audit_note(struct api_req *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The id of the object the call made, when the path does not name it
 * (a new campaign's id, a new token's name). */
void api_audit_object(struct api_req *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether s may be used as a request id: 1 to API_REQUEST_ID_MAX of
 * A-Z a-z 0-9 and - _ . : @ / + =. */
int api_request_id_ok(const char *s);
/* Router hooks: audit_begin after the caller is known decides whether
 * the call is recorded; audit_end, once it is over, records how it
 * ended. */
void audit_begin(struct api_req *a);
void audit_end(struct api_req *a);
/* api_write's job when the call is recorded: the handler's write, then
 * its audit row in the same transaction. */
int audit_job(struct db_tx *tx, void *a);
/* Writer job (db_every): prunes rows older than audit_retention_days. */
int audit_prune(struct db_tx *tx, void *srv);

/* ---- input: the jv_* checks fill a->err; api_invalid replies 422 ---- */
#define AE(a) (a)->err, sizeof((a)->err)
/* Replies 422 invalid_field with the message in a->err. */
void api_invalid(struct api_req *a);

/* ?name=IDENT: the value (NULL when absent), or -1 after a 400 naming
 * the parameter when it is no identifier (util_valid_ident): a filter
 * no object can match is a mistake, not an empty list. */
int api_query_ident(struct api_req *a, const char *name, const char **out);

/* ---- pagination: ?limit=N (1..1000, default 100) & after=CURSOR ---- */
int api_page(struct api_req *a, int64_t *limit, const char **after);
/* Replies 200 {key: arr, "next": ...} (arr stolen): next is the cursor
 * member of the last item when the page is full, else null. */
void api_page_reply(struct api_req *a, const char *key, json_t *arr,
    int64_t limit, const char *cursor);

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
	NEED_DDI,		/* hawkBit DDI: args[0] the tenant, args[1]
				 * the controller, with its own device token
				 * (TargetToken, Bearer) or a gateway token */
	NEED_DDI_ARTIFACT,	/* the same, or nobody when artifacts_public */
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
	/* The query parameters the route takes, space-separated ("limit
	 * after"); NULL: none; "*": any (hawkBit's deploymentBase, whose
	 * ?c= clients send back as given). Others are refused with 400. */
	const char *params;
};

/* The route for method and path, with its {} segments copied into args;
 * NULL when none, with the methods the path allows in allow ("" when the
 * path is unknown: 404). */
const struct api_route *api_route_find(enum http_method m, const char *path,
    char (*args)[API_ARG_MAX], char *allow, size_t allow_size);

/* 1 if name is a word of the space-separated list ("limit after"). */
int api_param_allowed(const char *list, const char *name);
/* Refuses (400 unknown_parameter, naming them) query parameters the
 * route does not take; 0, or -1 having replied. */
int api_check_query(struct api_req *a);

/* The application callbacks for the HTTP layer; app is a struct srv *. */
extern const struct http_app api_app_template;

/* Checks the caller against what the route needs; 0, or -1 having
 * replied 401/403. Fills a->who. */
int api_auth(struct api_req *a, enum api_need need);

#endif
