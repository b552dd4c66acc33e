/* Check suite for sign_hmac_sha256: RFC 4231's known answers (a short
 * key, a key shorter than the hash, one longer than a block). */
#include <stdint.h>
#include <string.h>

#include "check_util.h"
#include "sign/crypto.h"

START_TEST(rfc4231)
{
	static const struct {
		uint8_t key[131];
		size_t klen;
		const char *data, *mac;
	} t[] = {
		{ { 0 }, 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200"
		    "c9833da726e9376c2e32cff7" },
		{ "Jefe", 4, "what do ya want for nothing?", "5bdcc146bf60754e6a04"
		    "2426089575c75a003f089d2739839dec58b964ec3843" },
		{ { 0 }, 131, "Test Using Larger Than Block-Size Key - Hash Key "
		    "First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c514054"
		    "6040f0ee37f54" },
	};
	uint8_t key[131], mac[SIGN_SHA256_LEN];
	char hex[65];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(key, t[i].key, sizeof(key));
		if (i == 0)
			memset(key, 0x0b, 20);
		if (i == 2)
			memset(key, 0xaa, 131);
		sign_hmac_sha256(key, t[i].klen, t[i].data, strlen(t[i].data),
		    mac);
		sign_hex(mac, sizeof(mac), hex);
		ck_assert_str_eq(hex, t[i].mac);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sign_hmac");
	TCase *tc = tcase_create("core");

	if (sign_init() != 0)
		return 1;
	tcase_add_test(tc, rfc4231);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
