/* Health and metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "api/handlers.h"
#include "core/leader.h"
#include "core/metrics.h"

/* 200 while the store can commit and its writer makes progress; 503 with
 * the cause when not (a load balancer or a probe takes us out). */
void
h_healthz(struct api_req *a)
{
	struct db_stats st;
	char cause[256];
	enum db_writer_state h = db_writer_health(a->srv->core.db,
	    a->srv->cfg.writer_stall_timeout, cause, sizeof(cause));
	/* Of several daemons on one store, whether this one runs the gate,
	 * scheduled starts, webhooks and retention. */
	int lead = leader_is(a->srv->core.leader);

	db_stats(a->srv->core.db, &st);
	if (h != DB_HEALTHY) {
		api_json(a, 503, json_pack("{s:s,s:s,s:i,s:I,s:b}", "status",
		    "unhealthy", "cause", cause, "schema",
		    db_schema_version(a->srv->core.db), "write_queue",
		    (json_int_t)st.queue_depth, "leader", lead));
		return;
	}
	api_json(a, 200, json_pack("{s:s,s:i,s:I,s:b}", "status", "ok",
	    "schema", db_schema_version(a->srv->core.db), "write_queue",
	    (json_int_t)st.queue_depth, "leader", lead));
}

void
h_metrics(struct api_req *a)
{
	struct db_stats st;
	char extra[1536];
	char *text;

	db_stats(a->srv->core.db, &st);
	snprintf(extra, sizeof(extra),
	    "# HELP otad_http_in_flight Requests being served.\n"
	    "# TYPE otad_http_in_flight gauge\notad_http_in_flight %u\n"
	    "# HELP otad_http_connections Open connections (not counting "
	    "refused ones).\n"
	    "# TYPE otad_http_connections gauge\notad_http_connections %u\n"
	    "# HELP otad_db_commits_total Grouped commits.\n"
	    "# TYPE otad_db_commits_total counter\notad_db_commits_total %llu\n"
	    "# HELP otad_db_jobs_total Write jobs committed.\n"
	    "# TYPE otad_db_jobs_total counter\notad_db_jobs_total %llu\n"
	    "# HELP otad_db_commit_failures_total Failed commits.\n"
	    "# TYPE otad_db_commit_failures_total counter\n"
	    "otad_db_commit_failures_total %llu\n"
	    "# HELP otad_db_write_queue Write jobs waiting.\n"
	    "# TYPE otad_db_write_queue gauge\notad_db_write_queue %llu\n"
	    "# HELP otad_build_info The running otad's version and schema.\n"
	    "# TYPE otad_build_info gauge\n"
	    "otad_build_info{version=\"%s\",schema=\"%d\"} 1\n"
	    "# HELP otad_leader 1 while this daemon runs the fleet's jobs.\n"
	    "# TYPE otad_leader gauge\notad_leader %d\n",
	    http_in_flight_of(a->http), http_connections_of(a->http),
	    (unsigned long long)st.commits, (unsigned long long)st.jobs,
	    (unsigned long long)st.commit_failures,
	    (unsigned long long)st.queue_depth, OTAD_VERSION,
	    db_schema_version(a->srv->core.db),
	    leader_is(a->srv->core.leader));
	text = metrics_text(extra);
	if (text == NULL) {
		api_err(a, 500, "internal", "out of memory");
		return;
	}
	http_reply_take(a->http, 200, "text/plain; version=0.0.4", text,
	    strlen(text));
}
