/* Fleet mode: provisioning, a due-time heap, worker threads, tallies. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent.h"
#include "device.h"
#include "fleet.h"
#include "flash.h"
#include "util/log.h"
#include "util/util.h"

#define PATH_CAP 4096
#define PROVISION_BATCH 500
#define PROVISION_ANSWER_MAX (16 * 1024 * 1024)
/* Cap on a page of GET /v1/campaigns. */
#define CAMPAIGNS_MAX (4 * 1024 * 1024)
/* How often an idle fleet asks the server whether a campaign moves. */
#define ASK_EVERY_MS 1000

struct dev {
	struct sim_agent *agent;
	struct sim_agent_view view;	/* snapshot, under the lock */
	int64_t due_ms;
	int polled;
};

struct fleet {
	const struct sim_fleet_opts *o;
	struct sim_agent_opts aopts;
	struct dev *devs;
	int n;
	int *heap;			/* device indexes by due time */
	int heap_n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int64_t last_change_ms;
	int polled_once;		/* devices that polled at least once */
	int reboots_due;		/* devices waiting for a reboot */
	int warned;			/* the campaign list failed once */
	uint64_t polls, errors;
};

static int64_t
now_ms(void)
{
	return util_mono_us() / 1000;
}

/* ---- the heap of due times ---- */

static int
before(const struct fleet *fl, int i, int j)
{
	return fl->devs[fl->heap[i]].due_ms < fl->devs[fl->heap[j]].due_ms;
}

static void
swap(struct fleet *fl, int i, int j)
{
	int t = fl->heap[i];

	fl->heap[i] = fl->heap[j];
	fl->heap[j] = t;
}

static void
heap_push(struct fleet *fl, int dev)
{
	int i = fl->heap_n++;

	fl->heap[i] = dev;
	while (i > 0 && before(fl, i, (i - 1) / 2)) {
		swap(fl, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static int
heap_pop(struct fleet *fl)
{
	int top = fl->heap[0], i = 0;

	fl->heap[0] = fl->heap[--fl->heap_n];
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;

		if (l < fl->heap_n && before(fl, l, m))
			m = l;
		if (r < fl->heap_n && before(fl, r, m))
			m = r;
		if (m == i)
			break;
		swap(fl, i, m);
		i = m;
	}
	return top;
}

/* ---- workers ---- */

static void
timed_wait(struct fleet *fl, int64_t until_ms)
{
	struct timespec ts;
	int64_t wait = until_ms - now_ms();

	if (wait > 1000)
		wait = 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait / 1000;
	ts.tv_nsec += (long)(wait % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&fl->cv, &fl->mu, &ts);
}

static int
view_changed(const struct sim_agent_view *a, const struct sim_agent_view *b)
{
	return strcmp(a->fw_version, b->fw_version) != 0 ||
	    a->last_state != b->last_state ||
	    strcmp(a->last_reason, b->last_reason) != 0 || a->dead != b->dead ||
	    a->healthy != b->healthy || a->reported != b->reported ||
	    a->silent != b->silent || a->reboot_due != b->reboot_due ||
	    a->installs != b->installs;
}

/* Runs one step of device i (without the lock) and reschedules it. */
static void
step(struct fleet *fl, int i, struct sim_net *net)
{
	struct dev *d = &fl->devs[i];
	struct sim_agent_view v;
	int64_t next = fl->o->poll_interval;
	int rc;

	pthread_mutex_unlock(&fl->mu);
	rc = sim_agent_poll(d->agent, net, &next);
	sim_agent_view(d->agent, &v);
	pthread_mutex_lock(&fl->mu);
	fl->polls++;
	fl->errors += rc != 0;
	if (view_changed(&v, &d->view))
		fl->last_change_ms = now_ms();
	fl->reboots_due += v.reboot_due - d->view.reboot_due;
	d->view = v;
	if (!d->polled)
		fl->polled_once++;
	d->polled = 1;
	d->due_ms = now_ms() + (next > 0 ? next : 1) * 1000;
	/* A silent device is gone for good, as is one that cannot boot. */
	if (!v.dead && !v.silent)
		heap_push(fl, i);
	pthread_cond_broadcast(&fl->cv);
}

static void *
worker(void *arg)
{
	struct fleet *fl = arg;
	struct sim_net *net = sim_net_new(30);

	pthread_mutex_lock(&fl->mu);
	while (!fl->stop && net != NULL) {
		if (fl->heap_n == 0)
			timed_wait(fl, now_ms() + 1000);
		else if (fl->devs[fl->heap[0]].due_ms > now_ms())
			timed_wait(fl, fl->devs[fl->heap[0]].due_ms);
		else
			step(fl, heap_pop(fl), net);
	}
	pthread_mutex_unlock(&fl->mu);
	sim_net_free(net);
	return NULL;
}

/* ---- provisioning ---- */

static int
device_path(const struct fleet *fl, const char *id, char *out)
{
	return util_fmt(out, PATH_CAP, "%s/%s.img", fl->o->dir, id);
}

static int
device_id(const struct fleet *fl, int i, char *out, size_t size)
{
	return util_fmt(out, size, "%s-%05d", fl->o->id_prefix, i + 1);
}

/* Makes the flash of device i (unless it exists) with its token. */
static int
make_device(struct fleet *fl, int i, const char *id, const char *hw,
    const char *token)
{
	char path[PATH_CAP], err[512];
	const struct sim_fleet_opts *o = fl->o;
	struct sim_factory fac = { path, o->slot_size, id, hw, o->root_path,
	    o->firmware_path, 0, token, i % 100 < o->faulty_pct };

	if (device_path(fl, id, path) != 0)
		return -1;
	if (access(path, F_OK) == 0)
		return 0;
	if (sim_device_init(&fac, err, sizeof(err)) != 0) {
		log_err("fleet: %s: %s", id, err);
		return -1;
	}
	return 0;
}

/* An agent for device i, whose flash is the one of id. */
static int
add_agent(struct fleet *fl, int i, const char *id)
{
	char path[PATH_CAP];

	if (device_path(fl, id, path) != 0)
		return -1;
	fl->devs[i].agent = sim_agent_new(path, &fl->aopts);
	if (fl->devs[i].agent == NULL)
		return -1;
	/* The top of each hundred, so that they never meet the faulty. */
	if (i % 100 >= 100 - fl->o->silent_pct)
		sim_agent_set_silent(fl->devs[i].agent);
	return 0;
}

/* Makes devices from a POST /v1/devices answer (as devices first, ...),
 * with their agents when with_agents. */
static int
make_from_answer(struct fleet *fl, json_t *answer, int first, int count,
    int with_agents)
{
	json_t *list = json_object_get(answer, "devices");

	if (!json_is_array(list) || json_array_size(list) < (size_t)count) {
		log_err("fleet: the device list has fewer than %d devices",
		    count);
		return -1;
	}
	for (int k = 0; k < count; k++) {
		json_t *e = json_array_get(list, (size_t)k);
		const char *id = json_string_value(json_object_get(e,
		    "device_id"));
		const char *hw = json_string_value(json_object_get(e,
		    "hw_class"));
		const char *tok = json_string_value(json_object_get(e, "token"));

		if (id == NULL || tok == NULL || make_device(fl, first + k, id,
		    hw != NULL ? hw : fl->o->hw_class, tok) != 0 ||
		    (with_agents && add_agent(fl, first + k, id) != 0)) {
			log_err("fleet: device %d of the list is unusable",
			    first + k + 1);
			return -1;
		}
	}
	return 0;
}

/* Provisions devices [first, first + count) that have no flash yet. */
static json_t *
provision_request(struct fleet *fl, int first, int count)
{
	json_t *arr = json_array();
	char id[SIGN_ID_MAX + 1], path[PATH_CAP];

	for (int i = first; arr != NULL && i < first + count; i++) {
		if (device_id(fl, i, id, sizeof(id)) != 0 ||
		    device_path(fl, id, path) != 0)
			break;
		if (access(path, F_OK) == 0)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:[s], s:s}",
		    "device_id", id, "hw_class", fl->o->hw_class, "tags",
		    "otasim", "fw_version", fl->o->fw_version));
	}
	return arr;
}

static int
provision_batch(struct fleet *fl, struct sim_net *net, int first, int count)
{
	char url[2048];
	json_t *req = provision_request(fl, first, count), *ans = NULL;
	struct sim_http h = { .status = 0 };
	char *body = NULL;
	int rc = -1, want = req != NULL ? (int)json_array_size(req) : 0;

	if (req == NULL || want == 0) {
		json_decref(req);
		return req != NULL ? 0 : -1;
	}
	body = json_dumps(req, JSON_COMPACT);
	if (body == NULL || util_fmt(url, sizeof(url), "%s/v1/devices",
	    fl->o->server) != 0)
		goto out;
	if (sim_net_post_json(net, url, fl->o->admin_token, body, &h) != 0 ||
	    h.status < 200 || h.status > 299) {
		log_err("fleet: POST /v1/devices: %s (HTTP %ld) %.200s",
		    h.error, h.status, h.body != NULL ? (char *)h.body : "");
		goto out;
	}
	ans = json_loadb((const char *)h.body, h.len, JSON_REJECT_DUPLICATES,
	    NULL);
	rc = make_from_answer(fl, ans, first, want, 0);
out:
	json_decref(ans);
	json_decref(req);
	free(body);
	sim_http_clear(&h);
	return rc;
}

static int
provision(struct fleet *fl)
{
	const struct sim_fleet_opts *o = fl->o;
	struct sim_net *net = NULL;
	json_t *saved = NULL;
	int rc = 0;

	if (o->tokens_path != NULL) {
		json_error_t jerr;

		saved = json_load_file(o->tokens_path, JSON_REJECT_DUPLICATES,
		    &jerr);
		rc = saved != NULL ? make_from_answer(fl, saved, 0, fl->n, 1) :
		    -1;
		if (saved == NULL)
			log_err("fleet: --tokens: %s", jerr.text);
		json_decref(saved);
		return rc;
	}
	net = sim_net_new(120);
	for (int i = 0; rc == 0 && i < fl->n; i += PROVISION_BATCH)
		rc = provision_batch(fl, net, i, fl->n - i < PROVISION_BATCH ?
		    fl->n - i : PROVISION_BATCH);
	sim_net_free(net);
	return rc;
}

/* ---- tallies ---- */

static void
bump(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	json_object_set_new(obj, key, json_integer(v != NULL ?
	    json_integer_value(v) + 1 : 1));
}

/* The tallies, under the lock. A new reference. */
static json_t *
tally(struct fleet *fl, int64_t elapsed_s)
{
	json_t *versions = json_object(), *states = json_object();
	json_t *refusals = json_object(), *healthy = json_object();
	int dead = 0, installed = 0, silent = 0;

	for (int i = 0; i < fl->n; i++) {
		const struct sim_agent_view *v = &fl->devs[i].view;

		dead += v->dead;
		installed += v->installs > 0;
		silent += v->silent;
		bump(versions, v->fw_version[0] ? v->fw_version : "none");
		if (v->reported && v->healthy)
			bump(healthy, v->fw_version);
		bump(states, v->last_state == SIM_REPORT_NONE ? "none" :
		    sim_report_state_name(v->last_state));
		if ((v->last_state == SIM_REPORT_FAILED ||
		    v->last_state == SIM_REPORT_ROLLED_BACK) &&
		    v->last_reason[0] != '\0')
			bump(refusals, v->last_reason);
	}
	return json_pack("{s:i, s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:o, s:o, "
	    "s:o, s:o}", "devices", fl->n, "elapsed_s", (json_int_t)elapsed_s,
	    "polls", (json_int_t)fl->polls, "errors", (json_int_t)fl->errors,
	    "dead", dead, "installed", installed, "silent", silent,
	    "reboots_due", fl->reboots_due, "versions", versions, "states",
	    states, "refusals", refusals, "healthy", healthy);
}

static void
print_counts(const char *label, json_t *obj)
{
	printf("%s:", label);
	for (void *it = json_object_iter(obj); it != NULL;
	    it = json_object_iter_next(obj, it))
		printf(" %s=%lld", json_object_iter_key(it),
		    (long long)json_integer_value(json_object_iter_value(it)));
	printf("\n");
}

static long long
tally_int(json_t *t, const char *key)
{
	return (long long)json_integer_value(json_object_get(t, key));
}

static void
print_tally(json_t *t, const char *when)
{
	printf("fleet %s %llds: %lld devices, %lld polls, %lld errors, %lld "
	    "dead, %lld installed, %lld silent, %lld reboots due\n", when,
	    tally_int(t, "elapsed_s"), tally_int(t, "devices"),
	    tally_int(t, "polls"), tally_int(t, "errors"), tally_int(t, "dead"),
	    tally_int(t, "installed"), tally_int(t, "silent"),
	    tally_int(t, "reboots_due"));
	print_counts("  versions", json_object_get(t, "versions"));
	print_counts("  states", json_object_get(t, "states"));
	print_counts("  refusals", json_object_get(t, "refusals"));
	print_counts("  healthy", json_object_get(t, "healthy"));
	fflush(stdout);
}

/* ---- running ---- */

/* Whether the server runs a campaign that moves on its own: then the
 * fleet is not idle however quiet its devices are (a stage baking, or
 * waiting for its gate). Asked with the admin token; without one, or
 * when the server does not say, 0. */
static int
campaign_moving(struct fleet *fl, struct sim_net *net)
{
	struct sim_http h = { .status = 0 };
	char url[2048];
	json_t *doc = NULL, *list;
	int moving = 0;

	if (fl->o->admin_token == NULL || net == NULL || util_fmt(url,
	    sizeof(url), "%s/v1/campaigns?state=running", fl->o->server) != 0)
		return 0;
	if (sim_net_get(net, url, fl->o->admin_token, CAMPAIGNS_MAX, &h) != 0 ||
	    h.status != 200) {
		if (!fl->warned)
			log_warn("fleet: GET /v1/campaigns: %s (HTTP %ld): idle "
			    "by the devices alone", h.error, h.status);
		fl->warned = 1;
		sim_http_clear(&h);
		return 0;
	}
	doc = json_loadb((const char *)h.body, h.len, 0, NULL);
	list = json_object_get(doc, "campaigns");
	for (size_t i = 0; i < json_array_size(list) && !moving; i++) {
		const char *v = json_string_value(json_object_get(
		    json_object_get(json_array_get(list, i), "verdict"),
		    "verdict"));

		moving = v == NULL || strcmp(v, "await_approval") != 0;
	}
	json_decref(doc);
	sim_http_clear(&h);
	return moving;
}

/* Idle as far as the devices tell (see sim_fleet_run). */
static int
devices_idle(const struct fleet *fl, int64_t now)
{
	return fl->o->until_idle > 0 && fl->polled_once == fl->n &&
	    fl->reboots_due == 0 &&
	    now - fl->last_change_ms >= fl->o->until_idle * 1000;
}

/* Whether to stop now; asks the server (without the lock) at most once
 * a second, and only when the devices are idle. */
static int
should_stop(struct fleet *fl, struct sim_net *net, int64_t start,
    int64_t *last_ask)
{
	int64_t now = now_ms();
	int moving;

	if (fl->o->duration > 0 && now - start >= fl->o->duration * 1000)
		return 1;
	if (!devices_idle(fl, now) || now - *last_ask < ASK_EVERY_MS)
		return 0;
	*last_ask = now;
	pthread_mutex_unlock(&fl->mu);
	moving = campaign_moving(fl, net);
	pthread_mutex_lock(&fl->mu);
	return !moving && devices_idle(fl, now_ms());
}

/* Watches the fleet, printing progress, until a stop condition. */
static json_t *
monitor(struct fleet *fl, int64_t start)
{
	int64_t last_print = start, last_ask = 0;
	struct sim_net *net = sim_net_new(30);
	json_t *t = NULL;

	pthread_mutex_lock(&fl->mu);
	while (!should_stop(fl, net, start, &last_ask)) {
		int64_t now = now_ms();

		if (now - last_print >= fl->o->progress_every * 1000) {
			t = tally(fl, (now - start) / 1000);
			pthread_mutex_unlock(&fl->mu);
			print_tally(t, "after");
			json_decref(t);
			pthread_mutex_lock(&fl->mu);
			last_print = now;
		}
		timed_wait(fl, now + 500);
	}
	fl->stop = 1;
	pthread_cond_broadcast(&fl->cv);
	pthread_mutex_unlock(&fl->mu);
	sim_net_free(net);
	return NULL;
}

static int
write_summary(const char *path, json_t *t)
{
	char *s = json_dumps(t, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = s != NULL ? util_write_atomic(path, s, strlen(s), 0644) : -1;

	if (rc != 0)
		log_err("fleet: --summary: %s: %s", path, strerror(errno));
	free(s);
	return rc;
}

/* Starts workers, watches, joins them, prints the tallies. */
static int
run_fleet(struct fleet *fl)
{
	int k = fl->o->concurrency, started = 0, rc = 0;
	pthread_t *th = calloc((size_t)k, sizeof(*th));
	int64_t start = now_ms();
	json_t *t;

	fl->last_change_ms = start;
	for (int i = 0; i < fl->n; i++) {
		fl->devs[i].due_ms = start + (int64_t)i *
		    fl->o->poll_interval * 1000 / fl->n;
		heap_push(fl, i);
	}
	for (; th != NULL && started < k; started++)
		if (pthread_create(&th[started], NULL, worker, fl) != 0)
			break;
	if (started == 0) {
		log_err("fleet: no worker thread could start");
		free(th);
		return -1;
	}
	(void)monitor(fl, start);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	t = tally(fl, (now_ms() - start) / 1000);
	print_tally(t, "done after");
	if (fl->o->summary_path != NULL && t != NULL)
		rc = write_summary(fl->o->summary_path, t);
	json_decref(t);
	return rc;
}

/* Agents for devices named by the prefix (a list made its own). */
static int
make_agents(struct fleet *fl)
{
	char id[SIGN_ID_MAX + 1];

	for (int i = 0; fl->o->tokens_path == NULL && i < fl->n; i++)
		if (device_id(fl, i, id, sizeof(id)) != 0 ||
		    add_agent(fl, i, id) != 0)
			return -1;
	return 0;
}

/* The slot size asked for, or room for four times the factory image
 * (at least 1 MiB): later images may grow. 0 when the image is missing. */
static uint64_t
slot_size(const struct sim_fleet_opts *o)
{
	struct stat st;
	uint64_t s;

	if (o->slot_size > 0)
		return o->slot_size;
	if (stat(o->firmware_path, &st) != 0 || st.st_size <= 0) {
		log_err("fleet: --firmware: %s: %s", o->firmware_path,
		    strerror(errno));
		return 0;
	}
	s = 4 * (uint64_t)st.st_size;
	return s < 1024 * 1024 ? 1024 * 1024 : s;
}

int
sim_fleet_run(const struct sim_fleet_opts *opts)
{
	struct sim_fleet_opts o_copy = *opts, *o = &o_copy;
	struct fleet fl;
	int rc = -1;

	memset(&fl, 0, sizeof(fl));
	o->slot_size = slot_size(opts);
	fl.o = o;
	fl.n = o->devices;
	fl.aopts.server = o->server;
	fl.aopts.poll_interval = o->poll_interval;
	fl.aopts.download_tries = 5;
	fl.aopts.backoff_max_ms = 8000;
	fl.aopts.limits.low_speed = 1024;
	fl.aopts.limits.low_speed_time = 30;
	fl.aopts.limits.max_time = 3600;
	fl.aopts.poll_fixed = o->poll_fixed;
	fl.aopts.reboot_delay = o->reboot_delay;
	fl.aopts.boot_id = o->boot_id;
	pthread_mutex_init(&fl.mu, NULL);
	pthread_cond_init(&fl.cv, NULL);
	fl.devs = calloc((size_t)fl.n, sizeof(*fl.devs));
	fl.heap = calloc((size_t)fl.n, sizeof(*fl.heap));
	if (o->slot_size == 0)
		goto out;
	if (fl.devs == NULL || fl.heap == NULL ||
	    util_mkdir(o->dir, 0755) != 0) {
		log_err("fleet: cannot set up %s: %s", o->dir, strerror(errno));
		goto out;
	}
	sim_flash_set_durable(0);
	if (provision(&fl) != 0 || make_agents(&fl) != 0)
		goto out;
	printf("fleet: %d devices ready under %s\n", fl.n, o->dir);
	rc = run_fleet(&fl);
out:
	for (int i = 0; fl.devs != NULL && i < fl.n; i++)
		sim_agent_free(fl.devs[i].agent);
	free(fl.devs);
	free(fl.heap);
	pthread_cond_destroy(&fl.cv);
	pthread_mutex_destroy(&fl.mu);
	return rc;
}
