/* Fuzzes the time zone readers of maintenance windows. A first byte 0:
 * the rest is a POSIX TZ rule (rollout_tz_parse); an accepted one gives
 * one of its two offsets at any time, both within a day, and a window in
 * it (its slot from the last bytes) opens and closes where
 * rollout_window_next says: the state there differs from the second
 * before, within the horizon. Any other first byte: the rest is a TZif
 * file (util_tzif_footer); an accepted footer is printable, fits and is
 * exactly the bytes between the file's last two newlines. */
#include "fuzz.h"
#include "rollout/rollout.h"
#include "util/util.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
rule_case(const uint8_t *data, size_t size)
{
	char text[128];
	struct rollout_window w;
	int64_t now = 1800000000, c;
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

	memcpy(text, data, n);
	text[n] = '\0';
	memset(&w, 0, sizeof(w));
	if (rollout_tz_parse(text, &w.zone) != 0)
		return;
	FZ_ASSERT(strlen(text) < ROLLOUT_TZ_RULE);
	FZ_ASSERT(w.zone.std_off >= -86400 && w.zone.std_off <= 86400);
	FZ_ASSERT(w.zone.dst_off >= -86400 && w.zone.dst_off <= 86400);
	for (int64_t t = now - 400 * 86400LL; t < now + 400 * 86400LL;
	    t += 86400 * 7 + 3607) {
		int32_t o = rollout_tz_offset(&w.zone, t);

		FZ_ASSERT(o == w.zone.std_off || o == w.zone.dst_off);
	}
	w.nslots = 1;
	w.slot[0].days = (uint8_t)(1 + (size > 0 ? data[size - 1] : 0) % 127);
	w.slot[0].start = (size > 1 ? data[size - 2] : 0) * 5 % 1440;
	w.slot[0].end = 1 + (size > 2 ? data[size - 3] : 7) * 7 % 1440;
	if (w.slot[0].end == w.slot[0].start)
		return;
	FZ_ASSERT(rollout_window_validate(&w, NULL) == 0);
	for (int want = 0; want < 2; want++) {
		c = rollout_window_next(&w, now, want);
		if (c == 0)
			continue;
		FZ_ASSERT(c > now);
		FZ_ASSERT(c - now <= ROLLOUT_WINDOW_HORIZON * 86400LL);
		FZ_ASSERT(rollout_window_open(&w, c) == want);
		FZ_ASSERT(rollout_window_open(&w, c - 1) != want);
	}
}

static void
tzif_case(const uint8_t *data, size_t size)
{
	char rule[64];
	size_t n;

	if (util_tzif_footer(data, size, rule, sizeof(rule)) != 0)
		return;
	n = strlen(rule);
	FZ_ASSERT(n > 0 && n < sizeof(rule));
	FZ_ASSERT(size >= n + 2 && memcmp(data, "TZif", 4) == 0);
	FZ_ASSERT(data[size - 1] == '\n' && data[size - n - 2] == '\n');
	FZ_ASSERT(memcmp(data + size - n - 1, rule, n) == 0);
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT(rule[i] >= 0x20 && rule[i] <= 0x7e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 0)
		rule_case(data + 1, size - 1);
	else
		tzif_case(data + 1, size - 1);
	return 0;
}
