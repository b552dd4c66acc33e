/* Origins as the device compares them before it sends its token: scheme,
 * host and port, with the tricks a hostile artifact_url could try. */
#include <check.h>
#include <stdlib.h>

#include "check_util.h"
#include "net.h"

#define SRV "http://127.0.0.1:8080"

START_TEST(same_origin)
{
	ck_assert_int_eq(sim_net_same_origin(SRV, SRV "/v1/artifacts/ab"), 1);
	ck_assert_int_eq(sim_net_same_origin(SRV "/", SRV "/x?y=1#z"), 1);
	/* The port a scheme implies, and case, change nothing. */
	ck_assert_int_eq(sim_net_same_origin("http://ota.example",
	    "http://ota.example:80/a"), 1);
	ck_assert_int_eq(sim_net_same_origin("https://ota.example:443",
	    "https://ota.example/a"), 1);
	ck_assert_int_eq(sim_net_same_origin("HTTP://OTA.Example",
	    "http://ota.example/a"), 1);
}
END_TEST

START_TEST(other_origins)
{
	/* Another port on the same host is another origin (a mirror). */
	ck_assert_int_eq(sim_net_same_origin(SRV, "http://127.0.0.1:8081/a"),
	    0);
	ck_assert_int_eq(sim_net_same_origin(SRV, "http://127.0.0.1/a"), 0);
	ck_assert_int_eq(sim_net_same_origin("http://ota.example",
	    "https://ota.example/a"), 0);
	ck_assert_int_eq(sim_net_same_origin(SRV, "http://localhost:8080/a"),
	    0);
	ck_assert_int_eq(sim_net_same_origin("http://ota.example",
	    "http://cdn.ota.example/a"), 0);
	/* Lookalikes: the server's address as user info, or as a prefix of
	 * another host name. */
	ck_assert_int_eq(sim_net_same_origin(SRV,
	    "http://127.0.0.1:8080@evil.example/a"), 0);
	ck_assert_int_eq(sim_net_same_origin(SRV,
	    "http://127.0.0.1.evil.example:8080/a"), 0);
}
END_TEST

START_TEST(unparsable_is_foreign)
{
	ck_assert_int_eq(sim_net_same_origin(SRV, ""), 0);
	ck_assert_int_eq(sim_net_same_origin(SRV, "127.0.0.1:8080/a"), 0);
	ck_assert_int_eq(sim_net_same_origin(SRV, "http://[::1/a"), 0);
	ck_assert_int_eq(sim_net_same_origin("", ""), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("device-sim net");
	TCase *tc = tcase_create("origin");

	tcase_add_test(tc, same_origin);
	tcase_add_test(tc, other_origins);
	tcase_add_test(tc, unparsable_is_foreign);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sim_net_global_init() != 0)
		return EXIT_FAILURE;
	return tu_run(suite());
}
