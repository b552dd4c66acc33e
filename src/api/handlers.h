/* Every route's handler, grouped by the file that holds it. */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H

#include "api/api.h"

/* h_basic.c */
void h_healthz(struct api_req *a);
void h_metrics(struct api_req *a);
/* h_tokens.c */
void h_tokens_list(struct api_req *a);
void h_tokens_add(struct api_req *a);
void h_tokens_revoke(struct api_req *a);
/* GET /v1/tokens/self: the caller's name, role and expiry. */
void h_tokens_self(struct api_req *a);
/* h_ui.c: the web console, compiled in (scripts/embed-ui) */
void h_ui_redirect(struct api_req *a);
void h_ui_index(struct api_req *a);
void h_ui_file(struct api_req *a);

/* h_artifacts.c */
int artifacts_stream(struct api_req *a);
void h_artifacts_put(struct api_req *a);
void h_artifacts_get(struct api_req *a);
void h_artifacts_list(struct api_req *a);
/* Only an artifact no release refers to; the file goes after the commit. */
void h_artifacts_delete(struct api_req *a);
/* Replies with the stored artifact sha (64 lowercase hex) as GET
 * /v1/artifacts/{sha256} does: sendfile, ETag, Range, If-Range,
 * If-None-Match; 404 when there is none. */
void artifacts_send(struct api_req *a, const char *sha);
/* h_ddi.c: hawkBit DDI */
void h_ddi_base(struct api_req *a);
void h_ddi_deployment(struct api_req *a);
void h_ddi_feedback(struct api_req *a);
void h_ddi_config(struct api_req *a);
void h_ddi_cancel(struct api_req *a);
void h_ddi_cancel_feedback(struct api_req *a);
void h_ddi_download(struct api_req *a);
void h_ddi_md5sum(struct api_req *a);
/* h_devices.c */
void h_devices_add(struct api_req *a);
struct db_new_device;
/* Reads a provisioning body, one device object or an array of them, into
 * *items (n of them, malloc'd; their strings stay owned by body). 0; -1
 * with the reason in err ("body: ..." or "devices[i].field: ..."); -2
 * out of memory. The caller frees *items in any case. */
int h_devices_parse(json_t *body, struct db_new_device **items, size_t *n,
    int *single, char *err, size_t errlen);
void h_devices_list(struct api_req *a);
void h_devices_get(struct api_req *a);
/* PATCH: tags, hw_class, cohorts; then the device as GET shows it. */
void h_devices_patch(struct api_req *a);
void h_devices_decommission(struct api_req *a);
void h_devices_delete(struct api_req *a);
/* A new device token, shown once; the old one is refused from now on. */
void h_devices_token(struct api_req *a);
/* h_cohorts.c */
void h_cohorts_add(struct api_req *a);
void h_cohorts_set(struct api_req *a);
void h_cohorts_list(struct api_req *a);
void h_cohorts_get(struct api_req *a);
void h_cohorts_add_devices(struct api_req *a);
void h_cohorts_remove_device(struct api_req *a);
void h_cohorts_delete(struct api_req *a);
/* h_trust.c */
void h_trust_online_key(struct api_req *a);
void h_trust_root_put(struct api_req *a);
void h_trust_root_current(struct api_req *a);
void h_trust_root_version(struct api_req *a);
/* h_releases.c */
void h_releases_add(struct api_req *a);
void h_releases_list(struct api_req *a);
void h_releases_get(struct api_req *a);
void h_releases_revoke(struct api_req *a);
/* h_device.c */
void h_device_update(struct api_req *a);
void h_device_status(struct api_req *a);
void h_device_health(struct api_req *a);
void h_device_assign(struct api_req *a);
void h_device_unassign(struct api_req *a);
/* h_campaigns.c */
void h_campaigns_add(struct api_req *a);
void h_campaigns_list(struct api_req *a);
void h_campaigns_get(struct api_req *a);
void h_campaigns_plan(struct api_req *a);
void h_campaigns_events(struct api_req *a);

/* h_views.c */
/* Reads campaign id into a new *out (the caller frees); 0, or -1 having
 * replied (404, 503). */
struct db_campaign;
int h_campaign_load(struct api_req *a, int64_t id, struct db_campaign **out);
void h_campaigns_devices(struct api_req *a);
void h_audit_list(struct api_req *a);
void h_campaigns_act(struct api_req *a);
/* Drafts only (409 naming the state otherwise): PATCH merges the body
 * into the draft's settings as a create body; DELETE removes it. */
void h_campaigns_patch(struct api_req *a);
void h_campaigns_delete(struct api_req *a);
/* Replies with campaign id's view and this status. */
void h_campaigns_get_id(struct api_req *a, int64_t id, int status);

#endif
