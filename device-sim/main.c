/* otasim: the device simulator (one device or a fleet). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "agent.h"
#include "boot.h"
#include "device.h"
#include "fleet.h"
#include "flash.h"
#include "fw.h"
#include "meta.h"
#include "net.h"
#include "sign/sign.h"
#include "util/log.h"
#include "util/util.h"
#include "util/version.h"

#define USAGE "usage: otasim make-firmware|init|run|boot|status|fleet " \
	"[flags] (see docs/device-sim.md)"
#define EXIT_USAGE 2

/* Every flag of every command; each command accepts its own subset. */
enum {
	O_FW_VERSION = 256, O_BEHAVIOR, O_SIZE, O_OUT, O_FLASH, O_SLOT_SIZE,
	O_DEVICE_ID, O_HW_CLASS, O_ROOT, O_FIRMWARE, O_SECURITY_COUNTER,
	O_TOKEN_FILE, O_FAULTY, O_SERVER, O_TOKEN, O_ONCE, O_POLL_INTERVAL,
	O_CRASH_AFTER, O_MAX_TIME, O_DEVICES, O_ADMIN_TOKEN, O_TOKENS, O_DIR,
	O_CONCURRENCY, O_DURATION, O_UNTIL_IDLE, O_SUMMARY, O_ID_PREFIX,
	O_TRIES, O_LOG_LEVEL, O_PROGRESS, O_FAULTY_PCT, O_FAIL_WRITE,
	O_FAIL_ERASE, O_BAD_REGION, O_CLOCK_OFFSET, O_REBOOT_DELAY,
	O_SILENT, O_BOOT_ID, O_NO_BOOT_ID, O_HELP,
};

static const struct option all_opts[] = {
	{ "fw-version", required_argument, NULL, O_FW_VERSION },
	{ "behavior", required_argument, NULL, O_BEHAVIOR },
	{ "size", required_argument, NULL, O_SIZE },
	{ "out", required_argument, NULL, O_OUT },
	{ "flash", required_argument, NULL, O_FLASH },
	{ "slot-size", required_argument, NULL, O_SLOT_SIZE },
	{ "device-id", required_argument, NULL, O_DEVICE_ID },
	{ "hw-class", required_argument, NULL, O_HW_CLASS },
	{ "root", required_argument, NULL, O_ROOT },
	{ "firmware", required_argument, NULL, O_FIRMWARE },
	{ "security-counter", required_argument, NULL, O_SECURITY_COUNTER },
	{ "token-file", required_argument, NULL, O_TOKEN_FILE },
	{ "faulty-hw", no_argument, NULL, O_FAULTY },
	{ "server", required_argument, NULL, O_SERVER },
	{ "token", required_argument, NULL, O_TOKEN },
	{ "once", no_argument, NULL, O_ONCE },
	{ "poll-interval", required_argument, NULL, O_POLL_INTERVAL },
	{ "crash-after", required_argument, NULL, O_CRASH_AFTER },
	{ "max-time", required_argument, NULL, O_MAX_TIME },
	{ "devices", required_argument, NULL, O_DEVICES },
	{ "admin-token", required_argument, NULL, O_ADMIN_TOKEN },
	{ "tokens", required_argument, NULL, O_TOKENS },
	{ "dir", required_argument, NULL, O_DIR },
	{ "faulty", required_argument, NULL, O_FAULTY_PCT },
	{ "concurrency", required_argument, NULL, O_CONCURRENCY },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "until-idle", required_argument, NULL, O_UNTIL_IDLE },
	{ "summary", required_argument, NULL, O_SUMMARY },
	{ "id-prefix", required_argument, NULL, O_ID_PREFIX },
	{ "download-tries", required_argument, NULL, O_TRIES },
	{ "log-level", required_argument, NULL, O_LOG_LEVEL },
	{ "progress", required_argument, NULL, O_PROGRESS },
	{ "fail-write", required_argument, NULL, O_FAIL_WRITE },
	{ "fail-erase", required_argument, NULL, O_FAIL_ERASE },
	{ "bad-region", required_argument, NULL, O_BAD_REGION },
	{ "clock-offset", required_argument, NULL, O_CLOCK_OFFSET },
	{ "reboot-delay", required_argument, NULL, O_REBOOT_DELAY },
	{ "silent", required_argument, NULL, O_SILENT },
	{ "boot-id", required_argument, NULL, O_BOOT_ID },
	{ "no-boot-id", no_argument, NULL, O_NO_BOOT_ID },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Everything any command takes, parsed. */
struct args {
	const char *cmd;
	const char *fw_version, *out, *flash, *device_id, *hw_class, *root;
	const char *firmware, *token_file, *server, *token, *admin_token;
	const char *tokens, *dir, *summary, *id_prefix;
	struct sim_fw_header fw;	/* --behavior */
	uint64_t size, slot_size;
	int64_t security_counter, poll_interval, crash_after, max_time;
	int64_t devices, faulty_pct, concurrency, duration, until_idle, tries;
	int64_t progress, fail_write, fail_erase, clock_offset;
	int64_t reboot_delay, silent_pct;
	uint64_t bad_off, bad_len;
	enum sim_boot_id_mode boot_id;
	int once, faulty, help;
	unsigned long long seen;	/* bit per flag given */
};

static const char help_text[] =
"usage: otasim COMMAND [flags]      (the manual: docs/device-sim.md)\n"
"\n"
"  make-firmware --fw-version V --behavior B --size BYTES --out FILE\n"
"  init    --flash DEV.img --slot-size BYTES --device-id ID --hw-class C\n"
"          --root ROOT.json --firmware FW.bin [--security-counter N]\n"
"          [--token-file F] [--faulty-hw]\n"
"  run     --flash DEV.img --server URL [--token T] [--once]\n"
"          [--poll-interval S] [--reboot-delay S] [--boot-id M | --no-boot-id]\n"
"          [--crash-after N] [--max-time S] [--download-tries N]\n"
"          [--log-level L]\n"
"  boot    --flash DEV.img [--crash-after N] [--log-level L]\n"
"  status  --flash DEV.img\n"
"  fleet   --devices N --server URL --root ROOT.json --firmware FW.bin\n"
"          --dir DIR (--admin-token T --hw-class C --fw-version V |\n"
"          --tokens FILE) (--duration S | --until-idle S) [--faulty PCT]\n"
"          [--silent PCT] [--reboot-delay S] [--poll-interval S]\n"
"          [--boot-id M | --no-boot-id] [--concurrency K] [--summary FILE]\n"
"          [--id-prefix P] [--slot-size BYTES] [--download-tries N]\n"
"          [--progress S] [--log-level L]\n"
"\n"
"  --behavior B       ok, selftest-fail, crash-on-boot, or\n"
"                     degrade-after=DURATION: boots, passes its self-test,\n"
"                     is confirmed, then crashes once at every health\n"
"                     report when up that long\n"
"  --poll-interval S  seconds between polls (run 60, fleet 30). Not given:\n"
"                     a 204's Retry-After sets the next poll. Given: it\n"
"                     wins over the server's Retry-After\n"
"  --reboot-delay S   after installing, go on polling on the old image and\n"
"                     reboot into the new one S seconds later (default 0)\n"
"  --boot-id M        where boot_id=boot-N (N the boot count) is sent:\n"
"                     all (polls, status and health reports), poll (polls\n"
"                     only) or none (default below)\n"
"  --no-boot-id       the same as --boot-id none\n"
"  --faulty PCT       fleet: PCT of each hundred devices get hardware on\n"
"                     which every new image fails to boot (when their\n"
"                     flash file is made)\n"
"  --silent PCT       fleet: PCT of each hundred take their next offer and\n"
"                     then go silent (no report, no poll); never the\n"
"                     faulty ones\n"
"  --until-idle S     fleet: stop once every device polled, nothing changed\n"
"                     for S seconds, no reboot is due and (with\n"
"                     --admin-token) the server runs no campaign that is\n"
"                     not waiting for approval\n"
"\n"
"Sizes take K, M, G, T; durations s, m, h, d, w. Exit status: 0 ok,\n"
"2 usage, 3 a power cut (--crash-after), 1 anything else.\n"
"Default --boot-id: ";

static const char *const boot_id_modes[] = {
	[SIM_BOOT_ID_NONE] = "none",
	[SIM_BOOT_ID_POLL] = "poll",
	[SIM_BOOT_ID_ALL] = "all",
};

static const char *
flag_name(int code)
{
	for (const struct option *o = all_opts; o->name != NULL; o++)
		if (o->val == code)
			return o->name;
	return "?";
}

static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "otasim: <message>" and gives the usage exit status. */
static int
usage_err(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "otasim: %s\n", line);
	return EXIT_USAGE;
}

static int
num(const char *s, int code, int64_t min, int64_t max, int64_t *out)
{
	return util_parse_int(s, min, max, out) == 0 ? 0 :
	    usage_err("--%s: expected a whole number in [%lld, %lld], got "
	    "\"%s\"", flag_name(code), (long long)min, (long long)max, s);
}

static int
dur(const char *s, int code, int64_t *out)
{
	return util_parse_duration(s, out) == 0 ? 0 :
	    usage_err("--%s: expected a duration (90, 15m, 2h), got \"%s\"",
	    flag_name(code), s);
}

static int
size_arg(const char *s, int code, uint64_t *out)
{
	return util_parse_size(s, out) == 0 && *out > 0 ? 0 :
	    usage_err("--%s: expected a size (4096, 64K, 4M), got \"%s\"",
	    flag_name(code), s);
}

/* --bad-region OFFSET[:LENGTH] (sizes; the length defaults to one erase
 * block). */
static int
region_arg(const char *s, struct args *a)
{
	char off[32];
	const char *colon = strchr(s, ':');
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);

	a->bad_len = SIM_FLASH_ERASE_BLOCK;
	if (n >= sizeof(off))
		n = 0;
	memcpy(off, s, n);
	off[n] = '\0';
	if (util_parse_size(off, &a->bad_off) != 0 ||
	    (colon != NULL && util_parse_size(colon + 1, &a->bad_len) != 0) ||
	    a->bad_len == 0)
		return usage_err("--bad-region: expected OFFSET[:LENGTH] (sizes "
		    "such as 1M:4K), got \"%s\"", s);
	return 0;
}

/* Stores one flag's value; 0, or EXIT_USAGE. */
static int
take(struct args *a, int c, const char *v)
{
	switch (c) {
	case O_FW_VERSION: a->fw_version = v; return 0;
	case O_BEHAVIOR:
		return sim_fw_behavior_parse(v, &a->fw) == 0 ? 0 :
		    usage_err("--behavior: expected ok, selftest-fail, "
		    "crash-on-boot or degrade-after=DURATION (1s to a year), "
		    "got \"%s\"", v);
	case O_SIZE: return size_arg(v, c, &a->size);
	case O_OUT: a->out = v; return 0;
	case O_FLASH: a->flash = v; return 0;
	case O_SLOT_SIZE: return size_arg(v, c, &a->slot_size);
	case O_DEVICE_ID: a->device_id = v; return 0;
	case O_HW_CLASS: a->hw_class = v; return 0;
	case O_ROOT: a->root = v; return 0;
	case O_FIRMWARE: a->firmware = v; return 0;
	case O_SECURITY_COUNTER:
		return num(v, c, 0, INT64_MAX, &a->security_counter);
	case O_TOKEN_FILE: a->token_file = v; return 0;
	case O_FAULTY: a->faulty = 1; return 0;
	case O_SERVER: a->server = v; return 0;
	case O_TOKEN: a->token = v; return 0;
	case O_ONCE: a->once = 1; return 0;
	case O_POLL_INTERVAL: return dur(v, c, &a->poll_interval);
	case O_CRASH_AFTER: return num(v, c, 1, INT64_MAX, &a->crash_after);
	case O_MAX_TIME: return dur(v, c, &a->max_time);
	case O_DEVICES: return num(v, c, 1, 1000000, &a->devices);
	case O_ADMIN_TOKEN: a->admin_token = v; return 0;
	case O_TOKENS: a->tokens = v; return 0;
	case O_DIR: a->dir = v; return 0;
	case O_FAULTY_PCT: return num(v, c, 0, 100, &a->faulty_pct);
	case O_CONCURRENCY: return num(v, c, 1, 1024, &a->concurrency);
	case O_DURATION: return dur(v, c, &a->duration);
	case O_UNTIL_IDLE: return dur(v, c, &a->until_idle);
	case O_SUMMARY: a->summary = v; return 0;
	case O_ID_PREFIX: a->id_prefix = v; return 0;
	case O_TRIES: return num(v, c, 1, 1000, &a->tries);
	case O_PROGRESS: return dur(v, c, &a->progress);
	case O_FAIL_WRITE: return num(v, c, 1, INT64_MAX, &a->fail_write);
	case O_FAIL_ERASE: return num(v, c, 1, INT64_MAX, &a->fail_erase);
	case O_BAD_REGION: return region_arg(v, a);
	case O_CLOCK_OFFSET:
		/* A duration, negative for a clock that is behind. */
		if (dur(v[0] == '-' ? v + 1 : v, c, &a->clock_offset) != 0)
			return EXIT_USAGE;
		if (v[0] == '-')
			a->clock_offset = -a->clock_offset;
		return 0;
	case O_REBOOT_DELAY: return dur(v, c, &a->reboot_delay);
	case O_SILENT: return num(v, c, 0, 100, &a->silent_pct);
	case O_NO_BOOT_ID: a->boot_id = SIM_BOOT_ID_NONE; return 0;
	case O_HELP: a->help = 1; return 0;
	case O_BOOT_ID:
		for (size_t i = 0; i < ARRAY_LEN(boot_id_modes); i++) {
			if (strcmp(v, boot_id_modes[i]) == 0) {
				a->boot_id = (enum sim_boot_id_mode)i;
				return 0;
			}
		}
		return usage_err("--boot-id: expected all, poll or none, got "
		    "\"%s\"", v);
	case O_LOG_LEVEL: {
		enum log_level l;

		if (log_parse_level(v, &l) != 0)
			return usage_err("--log-level: expected error, warn, "
			    "info or debug, got \"%s\"", v);
		log_set_level(l);
		return 0;
	}
	default: return EXIT_USAGE;
	}
}

/* Which flags each command takes (a NUL-free list of codes). */
struct cmd_flags {
	const char *cmd;
	int flags[32];
};

static const struct cmd_flags cmd_flags[] = {
	{ "make-firmware", { O_FW_VERSION, O_BEHAVIOR, O_SIZE, O_OUT,
	    O_HELP } },
	{ "init", { O_FLASH, O_SLOT_SIZE, O_DEVICE_ID, O_HW_CLASS, O_ROOT,
	    O_FIRMWARE, O_SECURITY_COUNTER, O_TOKEN_FILE, O_FAULTY, O_HELP } },
	{ "run", { O_FLASH, O_SERVER, O_TOKEN, O_ONCE, O_POLL_INTERVAL,
	    O_CRASH_AFTER, O_MAX_TIME, O_TRIES, O_LOG_LEVEL, O_FAIL_WRITE,
	    O_FAIL_ERASE, O_BAD_REGION, O_CLOCK_OFFSET, O_REBOOT_DELAY,
	    O_BOOT_ID, O_NO_BOOT_ID, O_HELP } },
	{ "boot", { O_FLASH, O_CRASH_AFTER, O_LOG_LEVEL, O_FAIL_WRITE,
	    O_FAIL_ERASE, O_BAD_REGION, O_HELP } },
	{ "status", { O_FLASH, O_HELP } },
	{ "fleet", { O_DEVICES, O_SERVER, O_ADMIN_TOKEN, O_HW_CLASS,
	    O_FW_VERSION, O_TOKENS, O_ROOT, O_FIRMWARE, O_DIR, O_FAULTY_PCT,
	    O_CONCURRENCY, O_POLL_INTERVAL, O_DURATION, O_UNTIL_IDLE,
	    O_SUMMARY, O_ID_PREFIX, O_SLOT_SIZE, O_TRIES, O_LOG_LEVEL,
	    O_PROGRESS, O_REBOOT_DELAY, O_SILENT, O_BOOT_ID, O_NO_BOOT_ID,
	    O_HELP } },
};

static const struct cmd_flags *
find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(cmd_flags); i++)
		if (strcmp(cmd_flags[i].cmd, name) == 0)
			return &cmd_flags[i];
	return NULL;
}

static int
allowed(const struct cmd_flags *cf, int code)
{
	for (size_t i = 0; i < ARRAY_LEN(cf->flags) && cf->flags[i]; i++)
		if (cf->flags[i] == code)
			return 1;
	return 0;
}

/* The help's entry of one command (its synopsis lines) on stdout. */
static void
command_help(const char *cmd)
{
	const char *p = strstr(help_text, "\n\n") + 2, *end;
	size_t n = strlen(cmd);
	int on = 0;

	printf("usage: otasim %s [flags]      (the manual: docs/device-sim.md)"
	    "\n\n", cmd);
	for (; *p != '\n' && (end = strchr(p, '\n')) != NULL; p = end + 1) {
		/* An entry starts at two spaces; its other lines go deeper. */
		if (p[2] != ' ')
			on = strncmp(p + 2, cmd, n) == 0 &&
			    (p[2 + n] == ' ' || p[2 + n] == '\n');
		if (on)
			fwrite(p, 1, (size_t)(end - p + 1), stdout);
	}
	printf("\notasim --help explains the flags.\n");
}

static int
unknown_command(const char *word)
{
	const char *names[ARRAY_LEN(cmd_flags) + 1], *hint;

	for (size_t i = 0; i < ARRAY_LEN(cmd_flags); i++)
		names[i] = cmd_flags[i].cmd;
	names[ARRAY_LEN(cmd_flags)] = "help";
	hint = util_suggest(word, names, ARRAY_LEN(names));
	if (hint != NULL)
		return usage_err("unknown command \"%.64s\"; did you mean %s? "
		    "(otasim --help)", word, hint);
	return usage_err("unknown command \"%.64s\" (make-firmware, init, "
	    "run, boot, status, fleet, help)", word);
}

/* getopt's '?': a flag the program does not know (with the closest of
 * the command's own as a hint), or one that needs a value. */
static int
bad_flag(const struct cmd_flags *cf, const char *arg)
{
	const char *names[33], *hint;
	char word[65];
	size_t n = 0, len;

	if (strncmp(arg, "--", 2) != 0)
		return usage_err("%s: unknown flag %.64s (otasim %s --help)",
		    cf->cmd, arg, cf->cmd);
	len = strcspn(arg + 2, "=");
	for (const struct option *o = all_opts; o->name != NULL; o++)
		if (strlen(o->name) == len && strncmp(o->name, arg + 2, len) == 0)
			return usage_err("%s: --%s needs a value", cf->cmd,
			    o->name);
	for (size_t i = 0; i < ARRAY_LEN(cf->flags) && cf->flags[i]; i++)
		names[n++] = flag_name(cf->flags[i]);
	hint = NULL;
	if (len < sizeof(word)) {
		memcpy(word, arg + 2, len);
		word[len] = '\0';
		hint = util_suggest(word, names, n);
	}
	if (hint != NULL)
		return usage_err("%s: unknown flag %.64s; did you mean --%s?",
		    cf->cmd, arg, hint);
	return usage_err("%s: unknown flag %.64s (otasim %s --help)", cf->cmd,
	    arg, cf->cmd);
}

static int
parse(int argc, char **argv, struct args *a)
{
	const struct cmd_flags *cf;
	int c, rc = 0;

	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("otasim %s\n", OTA_VERSION);
		exit(0);
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		if (argc >= 3 && strcmp(argv[1], "help") == 0) {
			if (find_cmd(argv[2]) == NULL)
				return unknown_command(argv[2]);
			command_help(argv[2]);
			exit(0);
		}
		a->help = 1;
		return 0;
	}
	if (argc < 2)
		return usage_err("%s", USAGE);
	if ((cf = find_cmd(argv[1])) == NULL)
		return unknown_command(argv[1]);
	a->cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			command_help(a->cmd);
			exit(0);
		}
	}
	optind = 2;
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", all_opts,
	    NULL)) != -1) {
		if (c == '?' || c == ':')
			return bad_flag(cf, argv[optind - 1]);
		if (!allowed(cf, c))
			return usage_err("%s does not take --%s", a->cmd,
			    flag_name(c));
		a->seen |= 1ULL << (c - 256);
		rc = take(a, c, optarg);
	}
	if (rc == 0 && optind < argc)
		rc = usage_err("%s: unexpected argument \"%s\"", a->cmd,
		    argv[optind]);
	return rc;
}

static int
given(const struct args *a, int code)
{
	return (a->seen & (1ULL << (code - 256))) != 0;
}

/* EXIT_USAGE naming the first of the required flags not given. */
static int
require(const struct args *a, const int *codes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!given(a, codes[i]))
			return usage_err("%s: --%s is required", a->cmd,
			    flag_name(codes[i]));
	return 0;
}

#define REQUIRE(a, ...) require((a), (const int[]){ __VA_ARGS__ }, \
	sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

static int
cmd_make_firmware(struct args *a)
{
	char err[512];
	int rc = REQUIRE(a, O_FW_VERSION, O_BEHAVIOR, O_SIZE, O_OUT);

	if (rc != 0)
		return rc;
	if (!sign_semver_valid(a->fw_version) || util_fmt(a->fw.version,
	    sizeof(a->fw.version), "%s", a->fw_version) != 0)
		return usage_err("--fw-version: not a semantic version: \"%s\"",
		    a->fw_version);
	if (sim_fw_make(a->out, &a->fw, a->size, err, sizeof(err)) != 0) {
		fprintf(stderr, "otasim: %s\n", err);
		return strncmp(err, "--", 2) == 0 ? EXIT_USAGE : 1;
	}
	return 0;
}

/* The token in a file: its first line. NULL with a message. */
static char *
read_token(const char *path)
{
	size_t len = 0;
	char *t = (char *)util_read_file(path, SIM_META_TOKEN_MAX + 2, 0, &len);

	if (t == NULL) {
		fprintf(stderr, "otasim: --token-file: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	t[strcspn(t, "\r\n")] = '\0';
	return t;
}

static int
cmd_init(struct args *a)
{
	char err[512];
	char *token = NULL;
	struct sim_factory fac;
	int rc = REQUIRE(a, O_FLASH, O_SLOT_SIZE, O_DEVICE_ID, O_HW_CLASS,
	    O_ROOT, O_FIRMWARE);

	if (rc != 0)
		return rc;
	if (a->token_file != NULL && (token = read_token(a->token_file)) ==
	    NULL)
		return 1;
	fac = (struct sim_factory){ a->flash, a->slot_size, a->device_id,
	    a->hw_class, a->root, a->firmware, a->security_counter, token,
	    a->faulty };
	rc = sim_device_init(&fac, err, sizeof(err));
	free(token);
	if (rc != 0) {
		fprintf(stderr, "otasim: init: %s\n", err);
		return strncmp(err, "--slot-size", 11) == 0 ? EXIT_USAGE : 1;
	}
	return 0;
}

static void
print_boot(const struct sim_meta *m, const struct sim_boot *b)
{
	printf("booted slot %c: %s%s", sim_slot_letter(b->slot),
	    m->slot[b->slot].fw_version, b->trial ? " (trial)" : "");
	if (b->trial)
		printf(", %d trial attempts left", m->attempts_left);
	printf(", %s", sim_slot_state_name(m->slot[b->slot].state));
	if (b->why[0] != '\0')
		printf(": %s", b->why);
	printf("\n");
}

/* What --crash-after and the fault flags ask of the flash. */
static void
arm_flash(const struct args *a)
{
	sim_flash_cut_after((uint64_t)a->crash_after);
	sim_flash_fail_write((uint64_t)a->fail_write);
	sim_flash_fail_erase((uint64_t)a->fail_erase);
	if (a->seen & (1ULL << (O_BAD_REGION - 256)))
		sim_flash_bad_region(a->bad_off, a->bad_len);
}

static int
cmd_boot(struct args *a)
{
	char err[512];
	struct sim_flash *f;
	struct sim_meta *m = NULL;
	struct sim_boot b;
	int rc = REQUIRE(a, O_FLASH);

	if (rc != 0)
		return rc;
	arm_flash(a);
	f = sim_flash_open(a->flash, 0, 0, err, sizeof(err));
	if (f != NULL)
		m = sim_meta_load(f, err, sizeof(err));
	if (m == NULL) {
		fprintf(stderr, "otasim: boot: %s\n", err);
		rc = 1;
	} else if (sim_boot_run(f, m, &b) != 0) {
		printf("no image boots: %s\n", b.why);
		rc = 1;
	} else {
		print_boot(m, &b);
	}
	sim_meta_free(m);
	sim_flash_close(f);
	return rc;
}

static int
cmd_status(struct args *a)
{
	char err[512];
	json_t *o;
	int rc = REQUIRE(a, O_FLASH);

	if (rc != 0)
		return rc;
	o = sim_device_status(a->flash, err, sizeof(err));
	if (o == NULL) {
		fprintf(stderr, "otasim: status: %s\n", err);
		return 1;
	}
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 ?
	    0 : 1;
	printf("\n");
	json_decref(o);
	return rc;
}

static void
sleep_s(int64_t s)
{
	struct timespec ts = { (time_t)s, 0 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The agent loop of one device. */
static int
agent_loop(struct sim_agent *ag, struct sim_net *net, const struct args *a)
{
	int64_t deadline = a->max_time > 0 ? util_now() + a->max_time : 0;
	int64_t next = 0;
	int rc;

	if (sim_agent_power_on(ag, net) != 0)
		return 1;
	for (;;) {
		rc = sim_agent_poll(ag, net, &next);
		if (a->once || (deadline != 0 && util_now() >= deadline))
			break;
		if (deadline != 0 && util_now() + next > deadline)
			next = deadline - util_now();
		sleep_s(next);
	}
	return a->once && rc != 0 ? 1 : 0;
}

static void
trim_slash(char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

static int
cmd_run(struct args *a)
{
	struct sim_agent_opts o;
	struct sim_agent *ag = NULL;
	struct sim_net *net = NULL;
	int rc = REQUIRE(a, O_FLASH, O_SERVER);

	if (rc != 0)
		return rc;
	trim_slash((char *)a->server);
	memset(&o, 0, sizeof(o));
	o.server = a->server;
	o.token = a->token;
	o.poll_interval = a->poll_interval > 0 ? a->poll_interval : 60;
	o.poll_fixed = given(a, O_POLL_INTERVAL);
	o.reboot_delay = a->reboot_delay;
	o.boot_id = a->boot_id;
	o.download_tries = a->tries > 0 ? (int)a->tries : 5;
	o.backoff_max_ms = 8000;
	o.limits = (struct sim_net_limits){ 1024, 30,
	    a->max_time > 0 ? (long)a->max_time : 3600 };
	o.clock_offset = a->clock_offset;
	arm_flash(a);
	net = sim_net_new(30);
	ag = sim_agent_new(a->flash, &o);
	rc = net != NULL && ag != NULL ? agent_loop(ag, net, a) : 1;
	log_info("%s: %llu flash writes and erases", a->flash,
	    (unsigned long long)sim_flash_ops());
	sim_agent_free(ag);
	sim_net_free(net);
	return rc;
}

static int
cmd_fleet(struct args *a)
{
	struct sim_fleet_opts o;
	int rc = REQUIRE(a, O_DEVICES, O_SERVER, O_ROOT, O_FIRMWARE, O_DIR);

	if (rc == 0 && a->faulty_pct + a->silent_pct > 100)
		rc = usage_err("fleet: --faulty and --silent add up to more "
		    "than 100%%");
	if (rc == 0 && a->tokens == NULL)
		rc = REQUIRE(a, O_ADMIN_TOKEN, O_HW_CLASS, O_FW_VERSION);
	if (rc == 0 && a->tokens != NULL && a->admin_token != NULL)
		rc = usage_err("fleet: --tokens and --admin-token exclude each "
		    "other");
	if (rc == 0 && a->duration == 0 && a->until_idle == 0)
		rc = usage_err("fleet: --duration or --until-idle is required");
	if (rc != 0)
		return rc;
	trim_slash((char *)a->server);
	o = (struct sim_fleet_opts){ .devices = (int)a->devices,
	    .server = a->server, .admin_token = a->admin_token,
	    .hw_class = a->hw_class, .fw_version = a->fw_version,
	    .tokens_path = a->tokens, .root_path = a->root,
	    .firmware_path = a->firmware, .dir = a->dir,
	    .id_prefix = a->id_prefix ? a->id_prefix : "sim",
	    .summary_path = a->summary, .slot_size = a->slot_size,
	    .faulty_pct = (int)a->faulty_pct, .silent_pct = (int)a->silent_pct,
	    .concurrency = a->concurrency > 0 ? (int)a->concurrency : 16,
	    .poll_interval = a->poll_interval > 0 ? a->poll_interval : 30,
	    .poll_fixed = given(a, O_POLL_INTERVAL),
	    .reboot_delay = a->reboot_delay, .boot_id = a->boot_id,
	    .duration = a->duration, .until_idle = a->until_idle,
	    .progress_every = a->progress > 0 ? a->progress : 10 };
	return sim_fleet_run(&o) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.boot_id = SIM_BOOT_ID_DEFAULT;
	log_set_prog("otasim");
	rc = parse(argc, argv, &a);
	if (rc != 0)
		return rc;
	/* parse() leaves no command only for help. */
	if (a.help || a.cmd == NULL) {
		printf("%s%s\n", help_text, boot_id_modes[SIM_BOOT_ID_DEFAULT]);
		return 0;
	}
	if (sign_init() != 0 || sim_net_global_init() != 0) {
		fprintf(stderr, "otasim: cannot initialise libsodium or "
		    "libcurl\n");
		return 1;
	}
	if (strcmp(a.cmd, "make-firmware") == 0)
		rc = cmd_make_firmware(&a);
	else if (strcmp(a.cmd, "init") == 0)
		rc = cmd_init(&a);
	else if (strcmp(a.cmd, "run") == 0)
		rc = cmd_run(&a);
	else if (strcmp(a.cmd, "boot") == 0)
		rc = cmd_boot(&a);
	else if (strcmp(a.cmd, "status") == 0)
		rc = cmd_status(&a);
	else
		rc = cmd_fleet(&a);
	sim_net_global_cleanup();
	if (sim_flash_violations() > 0) {
		fprintf(stderr, "otasim: %llu writes onto flash that was not "
		    "erased: a bug in the device code\n",
		    (unsigned long long)sim_flash_violations());
		rc = SIM_FLASH_MISUSE_STATUS;
	}
	return rc;
}
