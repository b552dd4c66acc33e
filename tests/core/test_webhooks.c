/* Check suite for src/core/webhooks.c's signature: HMAC-SHA-256 over
 * "TIMESTAMP.BODY", against openssl's reading. */
#include <stdint.h>
#include <string.h>

#include "check_util.h"
#include "core/webhooks.h"
#include "sign/crypto.h"

START_TEST(webhook_signature)
{
	static const char secret[] = "whsec-0123456789abcdef";
	char sig[65];

	/* printf '%s' '1764643200.{...}' | openssl dgst -sha256 -hmac SECRET */
	webhooks_sign((const uint8_t *)secret, strlen(secret), "1764643200",
	    "{\"id\":\"campaign-event-7\",\"kind\":\"halted\"}", sig);
	ck_assert_str_eq(sig, "e234561a64824c017e60290953d8eb2f6df37329724c62bc"
	    "b5e75055f2301af5");
	webhooks_sign((const uint8_t *)secret, strlen(secret), "1764643201",
	    "{\"id\":\"campaign-event-7\",\"kind\":\"halted\"}", sig);
	ck_assert_str_ne(sig, "e234561a64824c017e60290953d8eb2f6df37329724c62bc"
	    "b5e75055f2301af5");	/* the timestamp is signed too */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("core_webhooks");
	TCase *tc = tcase_create("core");

	if (sign_init() != 0)
		return 1;
	tcase_add_test(tc, webhook_signature);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
