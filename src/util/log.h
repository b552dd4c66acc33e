/* Logging to stderr, one line per event, for journald or a terminal. */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Sets the most verbose level printed; the default is info. */
void log_set_level(enum log_level lvl);
/* Parses "error", "warn", "info" or "debug"; 0, or -1 if unknown. */
/* "error", "warn", "info" or "debug". */
const char *log_level_name(enum log_level lvl);
int log_parse_level(const char *s, enum log_level *out);
/* Sets the program name printed in front of each line. */
void log_set_prog(const char *prog);
/* Nonzero when lines of this level are printed. */
int log_enabled(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Logs like log_msg, but a message with the same text as one logged less
 * than interval seconds ago is held back; the next one logged says how
 * many were. For errors that repeat per request (a full disk). */
void log_limited(enum log_level lvl, int interval, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies in to out (size bytes, NUL-terminated) with backslash, control
 * and non-ASCII bytes escaped as \\, \n, \r, \t or \xNN (as stravis
 * does); stops before an escape that does not fit. Returns how many
 * bytes of in were copied. Every log line goes through it. */
size_t log_escape(const char *in, char *out, size_t size);
/* Start-up failure only: logs and exits with status 'code'. */
void fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#define log_err(...)   log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
