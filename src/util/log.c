/* Logging to stderr: journald adds time and unit, so lines stay short. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static enum log_level cur_level = LOG_LVL_INFO;
static const char *prog = "otad";
/* "<N>" prefixes let journald keep the priority; a terminal shows words. */
static int use_prefix = -1;

static const char *const names[] = { "error", "warn", "info", "debug" };
static const char *const sd_prio[] = { "<3>", "<4>", "<6>", "<7>" };

void
log_set_level(enum log_level lvl)
{
	cur_level = lvl;
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

void
log_set_prog(const char *p)
{
	prog = p;
}

int
log_enabled(enum log_level lvl)
{
	return lvl <= cur_level;
}

static void
vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (use_prefix < 0)
		use_prefix = getenv("JOURNAL_STREAM") != NULL;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* One fprintf per line keeps lines from threads whole. */
	if (use_prefix)
		fprintf(stderr, "%s%s\n", sd_prio[lvl], line);
	else
		fprintf(stderr, "%s: %s: %s%s\n", prog, names[lvl], line,
		    (size_t)n >= sizeof(line) ? "..." : "");
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > cur_level)
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
