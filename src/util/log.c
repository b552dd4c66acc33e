/* Logging to stderr: journald adds time and unit, so lines stay short
 * (elsewhere each starts with the time); every line is escaped, and
 * repeats can be held back per interval. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

/* Read on every thread, set by SIGHUP's reload. */
static atomic_int cur_level = LOG_LVL_INFO;
static const char *prog = "otad";
/* "<N>" prefixes let journald keep the priority; a terminal shows words. */
static int use_prefix = -1;

static const char *const names[] = { "error", "warn", "info", "debug" };
static const char *const sd_prio[] = { "<3>", "<4>", "<6>", "<7>" };

void
log_set_level(enum log_level lvl)
{
	atomic_store_explicit(&cur_level, (int)lvl, memory_order_relaxed);
}

int
log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level lvl)
{
	return (unsigned)lvl < sizeof(names) / sizeof(names[0]) ? names[lvl] : "?";
}

void
log_set_prog(const char *p)
{
	prog = p;
}

int
log_enabled(enum log_level lvl)
{
	return (int)lvl <= atomic_load_explicit(&cur_level, memory_order_relaxed);
}

size_t
log_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	for (; *p != '\0'; p++) {
		char e[5] = { '\\', 0, 0, 0, 0 };
		size_t n = 2;

		if (*p == '\\')
			e[1] = '\\';
		else if (*p == '\n')
			e[1] = 'n';
		else if (*p == '\r')
			e[1] = 'r';
		else if (*p == '\t')
			e[1] = 't';
		else if (*p < 0x20 || *p >= 0x7f) {
			e[1] = 'x';
			e[2] = hex[*p >> 4];
			e[3] = hex[*p & 15];
			n = 4;
		} else {
			e[0] = (char)*p;
			n = 1;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, e, n);
		o += n;
	}
	if (size > 0)
		out[o] = '\0';
	return (size_t)((const char *)p - in);
}

/* "2026-12-01T22:40:18.123Z": journald stamps its own lines; a terminal or
 * a file gets the time here. */
static const char *
stamp(char buf[32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return "-";
	snprintf(buf + 19, 13, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
	return buf;
}

static void
vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char raw[2048], line[2048], stamp_buf[32];
	int n;

	if (use_prefix < 0)
		use_prefix = getenv("JOURNAL_STREAM") != NULL;
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		return;
	/* Messages carry request bytes (paths, methods, addresses): escaped,
	 * no byte can end the line early or start one that journald would
	 * read as a priority ("<3>"), or reach a terminal as a control. */
	if (log_escape(raw, line, sizeof(line)) < strlen(raw))
		n = (int)sizeof(raw);
	/* One fprintf per line keeps lines from threads whole. */
	if (use_prefix)
		fprintf(stderr, "%s%s%s\n", sd_prio[lvl], line,
		    (size_t)n >= sizeof(raw) ? "..." : "");
	else
		fprintf(stderr, "%s %s: %s: %s%s\n", stamp(stamp_buf), prog,
		    names[lvl], line, (size_t)n >= sizeof(raw) ? "..." : "");
}

/* The messages seen in the current interval, by text. */
#define SEEN_MAX 64

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint64_t hash;
	int64_t since;		/* interval start, monotonic seconds */
	unsigned long dropped;
} seen[SEEN_MAX];

static uint64_t
text_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int64_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* 1 if msg may be logged now, with *dropped the repeats held back in the
 * interval before; 0 if it was logged already in this interval. */
static int
limit_pass(const char *msg, int interval, unsigned long *dropped)
{
	uint64_t h = text_hash(msg);
	int64_t now = mono_s();
	int i, oldest = 0, pass = 1;

	*dropped = 0;
	pthread_mutex_lock(&seen_mu);
	for (i = 0; i < SEEN_MAX && seen[i].hash != h; i++)
		if (seen[i].since < seen[oldest].since)
			oldest = i;
	if (i < SEEN_MAX && now - seen[i].since < interval) {
		seen[i].dropped++;
		pass = 0;
	} else {
		if (i == SEEN_MAX)
			i = oldest;
		else
			*dropped = seen[i].dropped;
		seen[i].hash = h;
		seen[i].since = now;
		seen[i].dropped = 0;
	}
	pthread_mutex_unlock(&seen_mu);
	return pass;
}

void
log_limited(enum log_level lvl, int interval, const char *fmt, ...)
{
	char msg[1024];
	unsigned long dropped;
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!limit_pass(msg, interval, &dropped))
		return;
	if (dropped > 0)
		log_msg(lvl, "%s (and %lu more like it in the %d s before)", msg,
		    dropped, interval);
	else
		log_msg(lvl, "%s", msg);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

void
fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(code);
}
