/* changes: the words daemons tell each other, as the listener reads
 * them; anything else is unknown (and makes it reload everything). */
#include <stdint.h>

#include "check_util.h"
#include "core/changes.h"

START_TEST(messages_read_as_sent)
{
	static const struct {
		const char *msg;
		enum change_kind kind;
		int64_t id;
	} cases[] = {
		{ "campaigns", CHANGE_CAMPAIGNS, 0 },
		{ "trust", CHANGE_TRUST, 0 },
		{ "release 1", CHANGE_RELEASE, 1 },
		{ "release 9223372036854775807", CHANGE_RELEASE, INT64_MAX },
		{ "release 0", CHANGE_UNKNOWN, 0 },
		{ "release -3", CHANGE_UNKNOWN, 0 },
		{ "release 12x", CHANGE_UNKNOWN, 0 },
		{ "release ", CHANGE_UNKNOWN, 0 },
		{ "release", CHANGE_UNKNOWN, 0 },
		{ "campaigns ", CHANGE_UNKNOWN, 0 },
		{ "Trust", CHANGE_UNKNOWN, 0 },
		{ "", CHANGE_UNKNOWN, 0 },
		{ "tokens", CHANGE_UNKNOWN, 0 },
		{ "devices", CHANGE_DEVICES, 0 },
		{ "device 42", CHANGE_DEVICE, 42 },
		{ "device 0", CHANGE_UNKNOWN, 0 },
		{ "device x", CHANGE_UNKNOWN, 0 },
		{ "device", CHANGE_UNKNOWN, 0 },
		{ "devices 3", CHANGE_UNKNOWN, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t id = 0;

		ck_assert_msg(changes_parse(cases[i].msg, &id) == cases[i].kind,
		    "\"%s\"", cases[i].msg);
		if (cases[i].kind == CHANGE_RELEASE ||
		    cases[i].kind == CHANGE_DEVICE)
			ck_assert_int_eq(id, cases[i].id);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("core_changes");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, messages_read_as_sent);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
