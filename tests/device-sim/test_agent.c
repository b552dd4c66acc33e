/* The agent against a small in-process server (the project's HTTP layer)
 * that speaks the device wire format: whole updates, trial outcomes,
 * every refusal with its reason, resume after a short answer, root
 * rotation, 204 with Retry-After; boot ids, a reboot some time after the
 * install, firmware that degrades, a device that goes silent, the health
 * of a device that fell back. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "http/http.h"
#include "simfx.h"
#include "util/log.h"

#define MAX_SEEN 32

/* What the fake server offers and how it misbehaves. */
struct fake {
	pthread_mutex_t mu;
	int offer;			/* 0: 204 */
	uint8_t *release;		/* offered envelope */
	size_t release_len;
	uint8_t *img;			/* artifact bytes */
	size_t img_len;
	const char *asg_device;		/* assignment for this device */
	const char *asg_nonce;		/* NULL: echo the poll's */
	int64_t asg_created;		/* 0: no "created" */
	int64_t asg_expires;
	uint8_t *roots[4];		/* roots 2.. served */
	size_t roots_len[4];
	int nroots;
	int truncate_first;		/* first artifact answer is cut */
	int ignore_range;
	size_t extra;			/* bytes served past the image */
	const char *artifact_base;	/* NULL: artifact_url is a path */
	/* What it saw: */
	char states[MAX_SEEN][64];		/* "state:reason" */
	char details[MAX_SEEN][300];
	char state_boot_ids[MAX_SEEN][32];	/* "" when none */
	int nstates;
	char healths[MAX_SEEN][160];	/* "fw boot_ok crashes boot_id" */
	int nhealths;
	char poll_fw[32], poll_boot_id[32];	/* of the last poll */
	int health, artifact_gets, ranged_gets, polls;
	int polls_with_token;		/* on the server's origin */
	int artifact_tokens[2];		/* artifact GETs with a token, by listener */
};

static struct fake fk;
static struct fx_world w;
static struct http_server *srv, *mirror;
static char server_url[64], mirror_url[64];
/* The app data of each listener: which one answered. */
static int listener_ids[2] = { 0, 1 };
/* Download limits and the clock offset of the agents power_on makes. */
static struct sim_net_limits limits;
static int64_t clock_offset;
/* The other settings of those agents, and the one that is up. */
static struct sim_agent_opts opts;
static struct sim_agent *ag;
static struct sim_net *net;

static void
app_begin(struct http_req *r, void *app)
{
	(void)app;
	if (http_method(r) == HTTP_POST)
		http_expect_body(r, 65536);
}

static void
offer(struct http_req *r)
{
	const char *nonce = http_query(r, "nonce");
	uint8_t h[SIGN_SHA256_LEN], *asg = NULL;
	char err[256], *body;
	size_t alen = 0, blen;
	int n;

	sign_sha256(fk.release, fk.release_len, h);
	if (nonce == NULL || sign_assignment_create(w.online, fk.asg_device, h,
	    "camp-1", fk.asg_nonce ? fk.asg_nonce : nonce, fk.asg_created,
	    fk.asg_expires, &asg, &alen, err, sizeof(err)) != SIGN_OK) {
		http_reply(r, 500, "text/plain", "x", 1);
		return;
	}
	blen = fk.release_len + alen + 256;
	body = malloc(blen);
	n = snprintf(body, blen, "{\"release\":%.*s,\"assignment\":%.*s,"
	    "\"artifact_url\":\"%s/art/x\",\"campaign\":\"camp-1\"}",
	    (int)fk.release_len, (const char *)fk.release, (int)alen,
	    (const char *)asg, fk.artifact_base ? fk.artifact_base : "");
	http_reply(r, 200, "application/json", body, (size_t)n);
	free(body);
	free(asg);
}

/* Serves the artifact with Range, or misbehaves as told. */
static void
artifact(struct http_req *r)
{
	const char *range = http_header(r, "Range");
	size_t from = 0, len;
	uint8_t *buf;
	char cr[128];

	fk.artifact_gets++;
	if (range != NULL && !fk.ignore_range) {
		fk.ranged_gets++;
		from = strtoul(range + 6, NULL, 10);
	}
	len = fk.img_len - from + fk.extra;
	if (fk.truncate_first && fk.artifact_gets == 1)
		len = fk.img_len / 2 + 1000;
	buf = calloc(1, len + 1);
	memcpy(buf, fk.img + from, len < fk.img_len - from ? len :
	    fk.img_len - from);
	if (from > 0) {
		snprintf(cr, sizeof(cr), "bytes %zu-%zu/%zu", from,
		    fk.img_len - 1, fk.img_len);
		http_add_header(r, "Content-Range", cr);
	}
	http_reply(r, from > 0 ? 206 : 200, "application/octet-stream", buf,
	    len);
	free(buf);
}

/* A string member of a report body, or "". */
static const char *
member(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static json_t *
body_json(struct http_req *r)
{
	size_t len = 0;
	const uint8_t *b = http_body(r, &len);

	return json_loadb((const char *)b, len, 0, NULL);
}

static void
record_status(struct http_req *r)
{
	json_t *o = body_json(r);
	const char *st = json_string_value(json_object_get(o, "state"));
	const char *re = json_string_value(json_object_get(o, "reason"));

	if (st != NULL && fk.nstates < MAX_SEEN) {
		snprintf(fk.details[fk.nstates], 300, "%s", member(o,
		    "detail"));
		snprintf(fk.state_boot_ids[fk.nstates], 32, "%s", member(o,
		    "boot_id"));
		snprintf(fk.states[fk.nstates++], 64, "%s%s%s", st,
		    re ? ":" : "", re ? re : "");
	}
	json_decref(o);
	http_reply(r, 200, "application/json", "{}", 2);
}

static void
record_health(struct http_req *r)
{
	json_t *o = body_json(r);

	fk.health++;
	if (fk.nhealths < MAX_SEEN)
		snprintf(fk.healths[fk.nhealths++], 160, "%s %s %lld %s",
		    member(o, "fw_version"), json_is_true(json_object_get(o,
		    "boot_ok")) ? "ok" : "failed", (long long)json_integer_value(
		    json_object_get(o, "crash_count")), member(o, "boot_id"));
	json_decref(o);
	http_reply(r, 200, "application/json", "{}", 2);
}

static void
record_poll(struct http_req *r)
{
	const char *fw = http_query(r, "fw_version");
	const char *b = http_query(r, "boot_id");

	fk.polls++;
	snprintf(fk.poll_fw, sizeof(fk.poll_fw), "%s", fw ? fw : "");
	snprintf(fk.poll_boot_id, sizeof(fk.poll_boot_id), "%s", b ? b : "");
}

static void
app_handle(struct http_req *r, void *app)
{
	const char *p = http_path(r);
	const char *auth = http_header(r, "Authorization");
	int listener = *(const int *)app, v;

	pthread_mutex_lock(&fk.mu);
	if (strcmp(p, "/v1/device/update") == 0)
		record_poll(r);
	if (strncmp(p, "/art/", 5) == 0 && auth != NULL)
		fk.artifact_tokens[listener]++;
	if (strcmp(p, "/v1/device/update") == 0 && auth != NULL &&
	    strcmp(auth, "Bearer tok-1") == 0)
		fk.polls_with_token++;
	if (listener == 1 && strncmp(p, "/art/", 5) != 0) {
		/* The mirror serves artifacts and nothing else. */
		http_reply(r, 404, "application/json", "{}", 2);
	} else if (strcmp(p, "/v1/device/update") == 0 && fk.offer) {
		offer(r);
	} else if (strcmp(p, "/v1/device/update") == 0) {
		http_add_header(r, "Retry-After", "17");
		http_reply(r, 204, NULL, "", 0);
	} else if (strncmp(p, "/art/", 5) == 0) {
		artifact(r);
	} else if (strcmp(p, "/v1/device/status") == 0) {
		record_status(r);
	} else if (strcmp(p, "/v1/device/health") == 0) {
		record_health(r);
	} else if (sscanf(p, "/v1/trust/root/%d.json", &v) == 1 && v >= 2 &&
	    v - 2 < fk.nroots) {
		http_reply(r, 200, "application/json", fk.roots[v - 2],
		    fk.roots_len[v - 2]);
	} else {
		http_reply(r, 404, "application/json", "{}", 2);
	}
	pthread_mutex_unlock(&fk.mu);
}

static void
app_done(struct http_req *r, void *app, int ok)
{
	(void)r;
	(void)app;
	(void)ok;
}

static void
setup(void)
{
	struct http_app app = { app_begin, app_handle, app_done,
	    &listener_ids[0] };
	struct http_app app2 = { app_begin, app_handle, app_done,
	    &listener_ids[1] };
	struct http_opts o = { .addr = "127.0.0.1", .threads = 2,
	    .max_connections = 64, .connection_memory = 256 * 1024,
	    .connection_timeout = 10, .header_timeout = 10,
	    .body_rate_window = 10 };
	char err[256];

	fx_world_init(&w);
	fx_firmware(&w, "v1.bin", "1.0.0", SIM_FW_OK, 30000);
	fx_device(&w, "v1.bin", 2, 0);
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.mu, NULL);
	fk.asg_device = FX_ID;
	fk.asg_created = util_now();
	fk.asg_expires = util_now() + 300;
	srv = http_start(&o, &app, err, sizeof(err));
	ck_assert_msg(srv != NULL, "%s", err);
	snprintf(server_url, sizeof(server_url), "http://127.0.0.1:%d",
	    http_port(srv));
	/* A second origin: same host, another port (a CDN, a mirror). */
	mirror = http_start(&o, &app2, err, sizeof(err));
	ck_assert_msg(mirror != NULL, "%s", err);
	snprintf(mirror_url, sizeof(mirror_url), "http://127.0.0.1:%d",
	    http_port(mirror));
	limits = (struct sim_net_limits){ 1, 10, 30 };
	clock_offset = 0;
	opts = (struct sim_agent_opts){ .server = server_url,
	    .poll_interval = 60, .download_tries = 3, .backoff_max_ms = 50,
	    .boot_id = SIM_BOOT_ID_POLL };
}

static void
teardown(void)
{
	sim_agent_free(ag);
	sim_net_free(net);
	ag = NULL;
	net = NULL;
	http_stop(mirror);
	http_stop(srv);
	free(fk.release);
	free(fk.img);
	for (int i = 0; i < fk.nroots; i++)
		free(fk.roots[i]);
	fx_world_free(&w);
}

/* Offers image fw as version ver with counter ctr, signed by key. */
static void
set_offer(const char *fw, const char *ver, enum sim_fw_behavior b,
    int64_t ctr, struct sign_key *key)
{
	char p[512];

	fx_firmware(&w, fw, ver, b, 200 * 1024 + 77);
	fk.release = fx_release(&w, fw, ver, ctr, util_now() + FX_DAY, key,
	    &fk.release_len);
	fx_path(&w, fw, p, sizeof(p));
	fk.img = util_read_file(p, 1 << 20, 0, &fk.img_len);
	fk.offer = 1;
}

/* Powers the device on (an agent with opts, kept until teardown). */
static void
power_on(void)
{
	char p[512];

	fx_path(&w, "dev.img", p, sizeof(p));
	sim_agent_free(ag);
	if (net == NULL)
		net = sim_net_new(10);
	opts.limits = limits;
	opts.clock_offset = clock_offset;
	ag = sim_agent_new(p, &opts);
	ck_assert_ptr_nonnull(ag);
	ck_assert_int_eq(sim_agent_power_on(ag, net), 0);
}

/* One poll of the agent that is up; returns its result. */
static int
poll(int64_t *next)
{
	int64_t dummy;

	return sim_agent_poll(ag, net, next != NULL ? next : &dummy);
}

/* Powers the device on and polls once; returns the poll's result. */
static int
run_once(int64_t *next)
{
	power_on();
	return poll(next);
}

/* The states reported, joined with commas. */
static const char *
states(void)
{
	static char buf[MAX_SEEN * 64];

	buf[0] = '\0';
	for (int i = 0; i < fk.nstates; i++) {
		strcat(buf, i ? "," : "");
		strcat(buf, fk.states[i]);
	}
	return buf;
}

static struct sim_meta *
device_meta(void)
{
	struct sim_flash *f = fx_open(&w);
	struct sim_meta *m = fx_load(f);

	sim_flash_close(f);
	return m;
}

static void
expect_running(const char *version, int active, int64_t counter)
{
	struct sim_meta *m = device_meta();

	ck_assert_int_eq(m->active, active);
	ck_assert_str_eq(m->slot[active].fw_version, version);
	ck_assert_int_eq(m->committed_counter, counter);
	ck_assert_int_ne(m->slot[1 - active].state, SIM_SLOT_PENDING);
	sim_meta_free(m);
}

START_TEST(update_confirmed)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	ck_assert_int_ge(fk.health, 3);
	expect_running("1.1.0", 1, 3);
}
END_TEST

START_TEST(selftest_failure_rolls_back)
{
	set_offer("bad.bin", "1.1.0", SIM_FW_SELFTEST_FAIL, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,rolled_back:selftest");
	expect_running("1.0.0", 0, 2);
}
END_TEST

START_TEST(crash_on_boot_rolls_back)
{
	set_offer("crash.bin", "1.1.0", SIM_FW_CRASH_ON_BOOT, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(),
	    "downloading,installed,rolled_back:crash_on_boot");
	expect_running("1.0.0", 0, 2);
}
END_TEST

START_TEST(short_answer_resumed)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.truncate_first = 1;
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	ck_assert_int_eq(fk.artifact_gets, 2);
	ck_assert_int_eq(fk.ranged_gets, 1);
	expect_running("1.1.0", 1, 3);
}
END_TEST

START_TEST(range_ignored_still_completes)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.truncate_first = 1;
	fk.ignore_range = 1;
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
}
END_TEST

/* Runs one poll that must end in a refusal, leaving the device as it
 * was. */
static void
expect_refusal(const char *reported, int downloads)
{
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), reported);
	ck_assert_int_eq(fk.artifact_gets > 0, downloads);
	expect_running("1.0.0", 0, 2);
}

START_TEST(longer_answer_refused)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.extra = 5000;
	expect_refusal("downloading,failed:length", 1);
}
END_TEST

START_TEST(changed_artifact_refused)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.img[100000] ^= 1;
	expect_refusal("downloading,failed:hash", 1);
}
END_TEST

START_TEST(wrong_hw_class_refused)
{
	struct sign_release *f = sign_release_new();
	char p[512], err[256];

	/* A release for another board only. */
	fx_firmware(&w, "v2.bin", "1.1.0", SIM_FW_OK, 100000);
	fx_path(&w, "v2.bin", p, sizeof(p));
	ck_assert_int_eq(sign_sha256_file(p, &f->length, f->sha256), 0);
	memcpy(f->fw_version, "1.1.0", 6);
	memcpy(f->hw_classes[0], "board-z", 8);
	f->nhw_classes = 1;
	f->security_counter = 3;
	f->created = util_now() - FX_DAY;
	f->expires = util_now() + FX_DAY;
	ck_assert_int_eq(sign_release_create(f, (const struct sign_key *const *)
	    &w.release, 1, &fk.release, &fk.release_len, err, sizeof(err)),
	    SIGN_OK);
	sign_release_free(f);
	fk.img = util_read_file(p, 1 << 20, 0, &fk.img_len);
	fk.offer = 1;
	expect_refusal("failed:incompatible", 0);
}
END_TEST

START_TEST(other_device_refused)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.asg_device = "dev-2";
	expect_refusal("failed:signature", 0);
	ck_assert_msg(strncmp(fk.details[0], "device: ", 8) == 0, "%s",
	    fk.details[0]);
}
END_TEST

START_TEST(replayed_assignment_refused)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.asg_nonce = "00112233445566778899aabbccddeeff";
	expect_refusal("failed:signature", 0);
	ck_assert_msg(strncmp(fk.details[0], "nonce: ", 7) == 0, "%s",
	    fk.details[0]);
}
END_TEST

START_TEST(expired_assignment_refused)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.asg_created = util_now() - 60;
	fk.asg_expires = util_now() - 5;
	expect_refusal("failed:expired", 0);
}
END_TEST

START_TEST(downgrade_refused)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 1, w.release);
	expect_refusal("failed:rollback", 0);
}
END_TEST

START_TEST(unknown_release_key_refused)
{
	struct sign_key *k = sign_key_generate();

	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, k);
	sign_key_free(k);
	expect_refusal("failed:signature", 0);
	ck_assert_msg(strncmp(fk.details[0], "threshold: ", 11) == 0, "%s",
	    fk.details[0]);
}
END_TEST

START_TEST(rotated_root_walked)
{
	struct sign_key *rel2 = sign_key_generate();
	struct sim_meta *m;

	/* Root 2 rotates the release key; root 3 changes nothing. */
	fk.roots[0] = fx_root(&w, 2, util_now() + 100 * FX_DAY, &w.root, 1,
	    rel2, &fk.roots_len[0]);
	fk.roots[1] = fx_root(&w, 3, util_now() + 100 * FX_DAY, &w.root, 1,
	    rel2, &fk.roots_len[1]);
	fk.nroots = 2;
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, rel2);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	m = device_meta();
	ck_assert_int_eq(m->root_version, 3);
	ck_assert_mem_eq(m->root, fk.roots[1], fk.roots_len[1]);
	sim_meta_free(m);
	expect_running("1.1.0", 1, 3);
	sign_key_free(rel2);
}
END_TEST

START_TEST(bad_root_refused)
{
	struct sign_key *evil = sign_key_generate();

	fk.roots[0] = fx_root(&w, 2, util_now() + 100 * FX_DAY, &evil, 1,
	    w.release, &fk.roots_len[0]);
	fk.nroots = 1;
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	sign_key_free(evil);
	expect_refusal("failed:signature", 0);
	ck_assert_msg(strncmp(fk.details[0], "threshold: ", 11) == 0, "%s",
	    fk.details[0]);
}
END_TEST

START_TEST(token_only_to_own_origin)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	/* Artifacts on the server itself: fetched with the device token. */
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	ck_assert_int_ge(fk.polls_with_token, 1);
	ck_assert_int_eq(fk.artifact_tokens[0], 1);
}
END_TEST

START_TEST(mirror_gets_no_token)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.artifact_base = mirror_url;
	fk.truncate_first = 1;
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	/* Both transfers (the cut one and its resume) went to the mirror,
	 * neither with the token; the server still saw it. */
	ck_assert_int_eq(fk.artifact_gets, 2);
	ck_assert_int_eq(fk.artifact_tokens[1], 0);
	ck_assert_int_eq(fk.artifact_tokens[0], 0);
	ck_assert_int_ge(fk.polls_with_token, 1);
	expect_running("1.1.0", 1, 3);
}
END_TEST

/* A slow-retrieval server: it answers every request with the head and
 * the first bytes of a large body, then sends nothing until the client
 * gives up. Raw sockets: the HTTP layer always sends whole bodies. */
struct stall {
	int fd;
	pthread_t thread;
	char url[64];
};

static void *
stall_main(void *arg)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: "
	    "1000000\r\n\r\n0123456789";
	struct stall *st = arg;
	char buf[4096];
	int c;

	while ((c = accept(st->fd, NULL, NULL)) >= 0) {
		if (read(c, buf, sizeof(buf)) > 0)
			(void)!write(c, head, sizeof(head) - 1);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
	return NULL;
}

static void
stall_start(struct stall *st)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	st->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(st->fd, 0);
	ck_assert_int_eq(bind(st->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(st->fd, 8), 0);
	ck_assert_int_eq(getsockname(st->fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(st->url, sizeof(st->url), "http://127.0.0.1:%d",
	    ntohs(sa.sin_port));
	ck_assert_int_eq(pthread_create(&st->thread, NULL, stall_main, st), 0);
}

static void
stall_stop(struct stall *st)
{
	shutdown(st->fd, SHUT_RDWR);
	pthread_join(st->thread, NULL);
	close(st->fd);
}

START_TEST(slow_retrieval_reported)
{
	struct stall st;

	stall_start(&st);
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.artifact_base = st.url;
	/* Below 1 KiB/s for a second: given up after every try. */
	limits = (struct sim_net_limits){ 1024, 1, 30 };
	ck_assert_int_ne(run_once(NULL), 0);
	stall_stop(&st);
	ck_assert_str_eq(states(), "downloading,failed:slow_retrieval");
	expect_running("1.0.0", 0, 2);
}
END_TEST

START_TEST(unreachable_is_download)
{
	struct stall st;

	/* A port nobody listens on any more: refused, not slow. */
	stall_start(&st);
	stall_stop(&st);
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	fk.artifact_base = st.url;
	limits = (struct sim_net_limits){ 1024, 1, 30 };
	ck_assert_int_ne(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,failed:download");
}
END_TEST

/* Sets the device's time floor (stored). */
static void
set_floor(int64_t t)
{
	struct sim_flash *f = fx_open(&w);
	struct sim_meta *m = fx_load(f);
	char err[256];

	m->time_floor = t;
	ck_assert_int_eq(sim_meta_store(f, m, err, sizeof(err)), 0);
	sim_meta_free(m);
	sim_flash_close(f);
}

static int64_t
device_floor(void)
{
	struct sim_meta *m = device_meta();
	int64_t t = m->time_floor;

	sim_meta_free(m);
	return t;
}

/* A release of a new image, expiring at expires. */
static void
set_offer_expiring(int64_t expires)
{
	char p[512];

	fx_firmware(&w, "v2.bin", "1.1.0", SIM_FW_OK, 100 * 1024);
	fk.release = fx_release_at(&w, "v2.bin", "1.1.0", 3, expires -
	    30 * FX_DAY, expires, w.release, &fk.release_len);
	fx_path(&w, "v2.bin", p, sizeof(p));
	fk.img = util_read_file(p, 1 << 20, 0, &fk.img_len);
	fk.offer = 1;
}

START_TEST(clock_set_back_is_freeze)
{
	/* The device's clock is a year behind; the (hostile) server offers
	 * a release that expired yesterday, with a fresh assignment. The
	 * clock alone would take it: the floor (the factory's time) says
	 * it is stale. */
	clock_offset = -365 * FX_DAY;
	set_offer_expiring(util_now() - FX_DAY);
	expect_refusal("failed:freeze", 0);
	/* Expired by the clock itself: still expired. */
	clock_offset = 0;
	fk.nstates = 0;
	expect_refusal("failed:expired", 0);
}
END_TEST

START_TEST(floor_rises_with_offers)
{
	struct sim_meta *m;
	struct sign_root *root = NULL;
	char err[256];
	int64_t floor;

	/* From nothing, an accepted offer raises the floor to the time
	 * its assignment was signed (later than the release's). */
	set_floor(0);
	fk.asg_created = util_now() - 60;
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	ck_assert_int_eq(device_floor(), fk.asg_created);
	/* It never goes back: an older signing time leaves it. */
	floor = fk.asg_created + 30;
	set_floor(floor);
	free(fk.release);
	free(fk.img);
	fk.nstates = 0;
	set_offer("v3.bin", "1.2.0", SIM_FW_OK, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	ck_assert_int_eq(device_floor(), floor);
	/* A signing time past the root's expiry (a stolen online key)
	 * raises it only to just before that expiry. */
	m = device_meta();
	ck_assert_int_eq(sign_root_load(m->root, m->root_len, &root, err,
	    sizeof(err)), SIGN_OK);
	sim_meta_free(m);
	free(fk.release);
	free(fk.img);
	fk.nstates = 0;
	fk.asg_created = root->expires + 100 * FX_DAY;
	fk.asg_expires = fk.asg_created + 300;
	set_offer("v4.bin", "1.3.0", SIM_FW_OK, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_int_eq(device_floor(), root->expires - 1);
	sign_root_free(root);
}
END_TEST

START_TEST(no_update_waits)
{
	int64_t next = 0;

	ck_assert_int_eq(run_once(&next), 0);
	ck_assert_int_eq(next, 17);
	ck_assert_int_eq(fk.nstates, 0);
	ck_assert_int_ge(fk.health, 2);
}
END_TEST


/* Sleeps until the wall clock is past t (whole seconds). */
static void
wait_past(int64_t t)
{
	while (util_now() <= t) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

static uint32_t
boot_count(void)
{
	struct sim_meta *m = device_meta();
	uint32_t n = m->boot_count;

	sim_meta_free(m);
	return n;
}

START_TEST(boot_count_is_durable)
{
	char want[32];

	/* Two power-ons of the device: two boots, two boot ids. */
	ck_assert_int_eq(run_once(NULL), 0);
	snprintf(want, sizeof(want), "boot-%u", boot_count());
	ck_assert_str_eq(fk.poll_boot_id, want);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_ne(fk.poll_boot_id, want);
	snprintf(want, sizeof(want), "boot-%u", boot_count());
	ck_assert_str_eq(fk.poll_boot_id, want);
}
END_TEST

START_TEST(boot_id_everywhere)
{
	char before[32], after[32];

	opts.boot_id = SIM_BOOT_ID_ALL;
	power_on();
	snprintf(before, sizeof(before), "boot-%u", boot_count());
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	ck_assert_int_eq(poll(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	snprintf(after, sizeof(after), "boot-%u", boot_count());
	ck_assert_str_ne(before, after);
	/* installed is said from the old boot, confirmed from the new. */
	ck_assert_str_eq(fk.state_boot_ids[0], before);
	ck_assert_str_eq(fk.state_boot_ids[1], before);
	ck_assert_str_eq(fk.state_boot_ids[2], after);
	ck_assert_str_eq(fk.poll_boot_id, before);
	ck_assert_msg(strstr(fk.healths[fk.nhealths - 1], after) != NULL, "%s",
	    fk.healths[fk.nhealths - 1]);
	fk.offer = 0;
	ck_assert_int_eq(poll(NULL), 0);
	ck_assert_str_eq(fk.poll_boot_id, after);
	ck_assert_str_eq(fk.poll_fw, "1.1.0");
}
END_TEST

START_TEST(boot_id_poll_only_or_none)
{
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(fk.poll_boot_id, "boot-1");
	ck_assert_str_eq(fk.state_boot_ids[0], "");
	ck_assert_msg(strstr(fk.healths[0], "boot-") == NULL, "%s",
	    fk.healths[0]);
	opts.boot_id = SIM_BOOT_ID_NONE;
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(fk.poll_boot_id, "");
}
END_TEST

START_TEST(fallen_back_reports_running_health)
{
	set_offer("crash.bin", "1.1.0", SIM_FW_CRASH_ON_BOOT, 3, w.release);
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_int_ge(fk.nhealths, 3);
	/* The boot after the crashes says so, once ... */
	ck_assert_str_eq(fk.healths[fk.nhealths - 2], "1.0.0 failed 3 ");
	/* ... then the old image reports its own health, at every poll. */
	ck_assert_str_eq(fk.healths[fk.nhealths - 1], "1.0.0 ok 0 ");
	fk.offer = 0;
	ck_assert_int_eq(poll(NULL), 0);
	ck_assert_str_eq(fk.healths[fk.nhealths - 1], "1.0.0 ok 0 ");
	ck_assert(ag != NULL);
	{
		struct sim_agent_view v;

		sim_agent_view(ag, &v);
		ck_assert_int_eq(v.healthy, 1);
		ck_assert_int_eq(v.installs, 1);
	}
}
END_TEST

START_TEST(reboot_waits_and_polls_on_old)
{
	int64_t next = 0;
	struct sim_meta *m;
	char boot[32];

	opts.reboot_delay = 3600;
	opts.boot_id = SIM_BOOT_ID_ALL;
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	ck_assert_int_eq(run_once(&next), 0);
	snprintf(boot, sizeof(boot), "boot-%u", boot_count());
	ck_assert_str_eq(states(), "downloading,installed");
	m = device_meta();
	ck_assert_int_eq(m->active, 0);
	ck_assert_int_eq(m->slot[1].state, SIM_SLOT_PENDING);
	sim_meta_free(m);
	/* Still offered: the installed update waits; the device polls on
	 * its old image from the same boot, and does not download again. */
	ck_assert_int_eq(poll(&next), 0);
	ck_assert_int_eq(fk.artifact_gets, 1);
	ck_assert_str_eq(states(), "downloading,installed");
	ck_assert_str_eq(fk.poll_fw, "1.0.0");
	ck_assert_str_eq(fk.poll_boot_id, boot);
	ck_assert_int_eq(next, 60);
}
END_TEST

START_TEST(reboot_after_delay)
{
	int64_t next = 0, installed_at;
	struct sim_agent_view v;

	opts.reboot_delay = 1;
	opts.boot_id = SIM_BOOT_ID_ALL;
	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	installed_at = util_now();
	ck_assert_int_eq(run_once(&next), 0);
	ck_assert_str_eq(states(), "downloading,installed");
	/* The next step comes at the reboot, not a poll interval later. */
	ck_assert_int_le(next, 1);
	sim_agent_view(ag, &v);
	ck_assert_int_eq(v.reboot_due, 1);
	wait_past(installed_at + 1);
	fk.offer = 0;
	ck_assert_int_eq(poll(&next), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	ck_assert_str_ne(fk.state_boot_ids[1], fk.state_boot_ids[2]);
	ck_assert_str_eq(fk.poll_fw, "1.1.0");
	sim_agent_view(ag, &v);
	ck_assert_int_eq(v.reboot_due, 0);
	expect_running("1.1.0", 1, 3);
}
END_TEST

START_TEST(degrades_after_confirming)
{
	struct sim_fw_header h = { "1.1.0", SIM_FW_DEGRADE, 1 };
	struct sim_agent_view v;
	int64_t confirmed_at;
	char p[512];
	struct sim_meta *m;

	fx_firmware_hdr(&w, "deg.bin", &h, 200 * 1024 + 77);
	fk.release = fx_release(&w, "deg.bin", "1.1.0", 3, util_now() + FX_DAY,
	    w.release, &fk.release_len);
	fx_path(&w, "deg.bin", p, sizeof(p));
	fk.img = util_read_file(p, 1 << 20, 0, &fk.img_len);
	fk.offer = 1;
	confirmed_at = util_now();
	ck_assert_int_eq(run_once(NULL), 0);
	ck_assert_str_eq(states(), "downloading,installed,confirmed");
	ck_assert_str_eq(fk.healths[fk.nhealths - 1], "1.1.0 ok 0 ");
	fk.offer = 0;
	wait_past(confirmed_at + 1);
	ck_assert_int_eq(poll(NULL), 0);
	ck_assert_str_eq(fk.healths[fk.nhealths - 1], "1.1.0 ok 1 ");
	ck_assert_int_eq(poll(NULL), 0);
	ck_assert_str_eq(fk.healths[fk.nhealths - 1], "1.1.0 ok 1 ");
	sim_agent_view(ag, &v);
	ck_assert_int_eq(v.healthy, 0);
	m = device_meta();
	ck_assert_uint_eq(m->crash_count, 2);
	sim_meta_free(m);
	expect_running("1.1.0", 1, 3);
}
END_TEST

START_TEST(silent_takes_offer_and_stops)
{
	struct sim_agent_view v;
	int health;

	set_offer("v2.bin", "1.1.0", SIM_FW_OK, 3, w.release);
	power_on();
	sim_agent_set_silent(ag);
	health = fk.health;
	ck_assert_int_eq(poll(NULL), 0);
	ck_assert_int_eq(fk.polls, 1);
	ck_assert_int_eq(fk.nstates, 0);
	ck_assert_int_eq(fk.artifact_gets, 0);
	ck_assert_int_eq(fk.health, health);
	sim_agent_view(ag, &v);
	ck_assert_int_eq(v.silent, 1);
	ck_assert_int_eq(poll(NULL), 0);
	ck_assert_int_eq(fk.polls, 1);
	expect_running("1.0.0", 0, 2);
}
END_TEST

START_TEST(explicit_poll_interval_wins)
{
	int64_t next = 0;

	opts.poll_fixed = 1;
	ck_assert_int_eq(run_once(&next), 0);
	ck_assert_int_eq(next, 60);
}
END_TEST


static Suite *
suite(void)
{
	Suite *s = suite_create("device-sim agent");
	TCase *tc = tcase_create("agent");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, update_confirmed);
	tcase_add_test(tc, selftest_failure_rolls_back);
	tcase_add_test(tc, crash_on_boot_rolls_back);
	tcase_add_test(tc, short_answer_resumed);
	tcase_add_test(tc, range_ignored_still_completes);
	tcase_add_test(tc, longer_answer_refused);
	tcase_add_test(tc, changed_artifact_refused);
	tcase_add_test(tc, wrong_hw_class_refused);
	tcase_add_test(tc, other_device_refused);
	tcase_add_test(tc, replayed_assignment_refused);
	tcase_add_test(tc, expired_assignment_refused);
	tcase_add_test(tc, downgrade_refused);
	tcase_add_test(tc, unknown_release_key_refused);
	tcase_add_test(tc, rotated_root_walked);
	tcase_add_test(tc, bad_root_refused);
	tcase_add_test(tc, token_only_to_own_origin);
	tcase_add_test(tc, mirror_gets_no_token);
	tcase_add_test(tc, slow_retrieval_reported);
	tcase_add_test(tc, unreachable_is_download);
	tcase_add_test(tc, clock_set_back_is_freeze);
	tcase_add_test(tc, floor_rises_with_offers);
	tcase_add_test(tc, no_update_waits);
	tcase_add_test(tc, boot_count_is_durable);
	tcase_add_test(tc, boot_id_everywhere);
	tcase_add_test(tc, boot_id_poll_only_or_none);
	tcase_add_test(tc, fallen_back_reports_running_health);
	tcase_add_test(tc, reboot_waits_and_polls_on_old);
	tcase_add_test(tc, reboot_after_delay);
	tcase_add_test(tc, degrades_after_confirming);
	tcase_add_test(tc, silent_takes_offer_and_stops);
	tcase_add_test(tc, explicit_poll_interval_wins);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sign_init() != 0 || sim_net_global_init() != 0)
		return EXIT_FAILURE;
	log_set_level(LOG_LVL_ERROR);
	return tu_run(suite());
}
