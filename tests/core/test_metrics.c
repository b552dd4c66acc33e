/* metrics: the latency histogram's buckets, and the live campaigns'
 * gauges (replaced per campaign, expired, capped keeping the newest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "core/metrics.h"

/* The value of the line that starts with prefix, or -1. */
static double
value(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

static void
snap(int64_t id, const char *state, int64_t confirmed, int64_t failed,
    int64_t at)
{
	struct metrics_campaign c = { .id = id, .stage = 2, .nstates = 2,
	    .state_names = { "confirmed", "failed" },
	    .by_state = { confirmed, failed }, .members = confirmed + failed,
	    .failures = failed, .at = at };

	snprintf(c.state, sizeof(c.state), "%s", state);
	metrics_campaign(&c);
}

START_TEST(latency_buckets_are_cumulative)
{
	char *t;

	metrics_request(200, 500);		/* <= 1 ms */
	metrics_request(200, 3000);		/* <= 5 ms */
	metrics_request(404, 20000000);		/* past 10 s */
	t = metrics_text(NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert(value(t, "otad_http_request_duration_seconds_bucket"
	    "{le=\"0.001\"}") == 1);
	ck_assert(value(t, "otad_http_request_duration_seconds_bucket"
	    "{le=\"0.005\"}") == 2);
	ck_assert(value(t, "otad_http_request_duration_seconds_bucket"
	    "{le=\"10\"}") == 2);
	ck_assert(value(t, "otad_http_request_duration_seconds_bucket"
	    "{le=\"+Inf\"}") == 3);
	ck_assert(value(t, "otad_http_request_duration_seconds_count") == 3);
	ck_assert(value(t, "otad_http_request_duration_seconds_sum") > 20.0);
	free(t);
}
END_TEST

START_TEST(campaign_gauges_replace_and_expire)
{
	char *t;

	snap(7, "running", 3, 1, 100);
	snap(7, "paused", 6, 2, 110);
	snap(8, "running", 1, 0, 105);
	t = metrics_text(NULL);
	ck_assert(value(t, "otad_campaign_state{campaign=\"7\",state=\"paused\"}")
	    == 1);
	ck_assert(value(t, "otad_campaign_state{campaign=\"7\",state="
	    "\"running\"}") == -1);
	ck_assert(value(t, "otad_campaign_members{campaign=\"7\",state="
	    "\"confirmed\"}") == 6);
	ck_assert(value(t, "otad_campaign_failure_ratio{campaign=\"7\"}") == 0.25);
	ck_assert(value(t, "otad_campaign_stage{campaign=\"8\"}") == 2);
	free(t);
	metrics_campaigns_expire(106);
	t = metrics_text(NULL);
	ck_assert(value(t, "otad_campaign_stage{campaign=\"8\"}") == -1);
	ck_assert(value(t, "otad_campaign_stage{campaign=\"7\"}") == 2);
	free(t);
	metrics_campaigns_expire(1000);
}
END_TEST

START_TEST(campaign_gauges_keep_the_newest)
{
	char *t, name[64];

	for (int64_t id = 1; id <= METRICS_CAMPAIGNS_MAX + 10; id++)
		snap(id, "running", 1, 0, 500);
	snap(3, "running", 1, 0, 500);	/* older than all kept: dropped */
	t = metrics_text(NULL);
	snprintf(name, sizeof(name), "otad_campaign_stage{campaign=\"%d\"}",
	    METRICS_CAMPAIGNS_MAX + 10);
	ck_assert(value(t, name) == 2);
	ck_assert(value(t, "otad_campaign_stage{campaign=\"3\"}") == -1);
	ck_assert(value(t, "otad_campaign_stage{campaign=\"10\"}") == -1);
	ck_assert(value(t, "otad_campaign_stage{campaign=\"11\"}") == 2);
	free(t);
	metrics_campaigns_expire(1000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, latency_buckets_are_cumulative);
	tcase_add_test(tc, campaign_gauges_replace_and_expire);
	tcase_add_test(tc, campaign_gauges_keep_the_newest);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
