/* Canonical JSON: known-answer encodings and the strict parser's
 * rejections. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "sign/sign.h"

/* Parses in (strictly) and returns its canonical encoding; NULL when the
 * parser refuses it. The caller frees. */
static char *
canon(const char *in, int flags)
{
	json_t *v;
	uint8_t *out;
	size_t len;
	char err[256];

	if (sign_cjson_parse((const uint8_t *)in, strlen(in), &v, err,
	    sizeof(err)) != SIGN_OK)
		return NULL;
	ck_assert_int_eq(sign_cjson_encode(v, flags, &out, &len, err,
	    sizeof(err)), SIGN_OK);
	json_decref(v);
	ck_assert_uint_eq(strlen((char *)out), len);
	return (char *)out;
}

static void
expect_canon(const char *in, int flags, const char *want)
{
	char *got = canon(in, flags);

	ck_assert_msg(got != NULL, "refused: %s", in);
	ck_assert_str_eq(got, want);
	free(got);
}

static enum sign_result
parse_len(const void *buf, size_t len, char *err, size_t errlen)
{
	json_t *v = NULL;
	enum sign_result r;

	r = sign_cjson_parse(buf, len, &v, err, errlen);
	json_decref(v);
	return r;
}

static void
expect_refused(const char *in, const char *msg_part)
{
	char err[256] = "";

	ck_assert_msg(parse_len(in, strlen(in), err, sizeof(err)) ==
	    SIGN_ERR_FORMAT, "accepted: %s", in);
	ck_assert_msg(strstr(err, msg_part) != NULL, "message \"%s\" lacks "
	    "\"%s\"", err, msg_part);
}

START_TEST(key_order_and_whitespace)
{
	/* "b" before "a" in the input; nested objects sorted too. */
	expect_canon("{ \"b\" : 1 ,\n \"a\" : [ true , false , null ],"
	    " \"c\" : { \"z\" : \"x\", \"y\" : -5 } }", 0,
	    "{\"a\":[true,false,null],\"b\":1,\"c\":{\"y\":-5,\"z\":\"x\"}}");
	/* Arrays keep their order; empty containers stay. */
	expect_canon("{\"l\":[3,1,2],\"e\":{},\"f\":[]}", 0,
	    "{\"e\":{},\"f\":[],\"l\":[3,1,2]}");
	/* Prefixes sort first. */
	expect_canon("{\"ab\":1,\"b\":2,\"a\":3}", 0,
	    "{\"a\":3,\"ab\":1,\"b\":2}");
}
END_TEST

START_TEST(key_order_is_bytewise_utf8)
{
	/* Z (5a) < z (7a) < e-acute (c3 a9) < euro (e2 82 ac) < U+FF61
	 * (ef bd a1) < U+1F600 (f0 9f 98 80). UTF-16 order would put
	 * U+1F600 (d83d) before U+FF61. */
	expect_canon("{\"\\ud83d\\ude00\":6,\"\\uff61\":5,\"\\u20ac\":4,"
	    "\"\\u00e9\":3,\"z\":2,\"Z\":1}", 0,
	    "{\"Z\":1,\"z\":2,\"\xc3\xa9\":3,\"\xe2\x82\xac\":4,"
	    "\"\xef\xbd\xa1\":5,\"\xf0\x9f\x98\x80\":6}");
}
END_TEST

START_TEST(string_escapes)
{
	const char *in = "{\"s\":\"q\\\" b\\\\ n\\n t\\t s\\/ u\\u00e9 "
	    "\\u2603 \xf0\x9f\x98\x80 c\\u001f\"}";

	/* Canonical: only '"' and '\' escaped; control characters, '/'
	 * and UTF-8 raw. */
	expect_canon(in, 0, "{\"s\":\"q\\\" b\\\\ n\n t\t s/ u\xc3\xa9 "
	    "\xe2\x98\x83 \xf0\x9f\x98\x80 c\x1f\"}");
	/* Wire form: the same, but control characters as \u00XX. */
	expect_canon(in, SIGN_CJSON_WIRE, "{\"s\":\"q\\\" b\\\\ n\\u000a "
	    "t\\u0009 s/ u\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80 "
	    "c\\u001f\"}");
}
END_TEST

START_TEST(integers)
{
	expect_canon("{\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808,\"zero\":0,\"nz\":-0}", 0,
	    "{\"max\":9223372036854775807,\"min\":-9223372036854775808,"
	    "\"nz\":0,\"zero\":0}");
}
END_TEST

START_TEST(wire_form_round_trips)
{
	const char *in = "{\"b\":\"x\\ny\",\"a\":{\"k\":[1,\"\\u0001\"]}}";
	char *w1 = canon(in, SIGN_CJSON_WIRE), *w2;

	ck_assert_ptr_nonnull(w1);
	w2 = canon(w1, SIGN_CJSON_WIRE);
	ck_assert_ptr_nonnull(w2);
	ck_assert_str_eq(w1, w2);
	free(w1);
	free(w2);
}
END_TEST

START_TEST(encoder_refuses_reals)
{
	json_t *v = json_pack("{s:f}", "x", 1.5);
	uint8_t *out = NULL;
	size_t len;
	char err[128];

	ck_assert_int_eq(sign_cjson_encode(v, 0, &out, &len, err, sizeof(err)),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_null(out);
	json_decref(v);
}
END_TEST

START_TEST(rejects_duplicate_keys)
{
	expect_refused("{\"a\":1,\"a\":2}", "duplicate");
	expect_refused("{\"o\":{\"k\":1,\"k\":1}}", "duplicate");
}
END_TEST

START_TEST(rejects_floats)
{
	expect_refused("{\"a\":1.0}", "floating-point");
	expect_refused("{\"a\":1e3}", "floating-point");
	expect_refused("{\"a\":1E3}", "floating-point");
	expect_refused("{\"a\":[0,-0.5]}", "floating-point");
}
END_TEST

START_TEST(rejects_trailing_bytes)
{
	expect_refused("{\"a\":1}x", "end of file expected");
	expect_refused("{\"a\":1}{}", "end of file expected");
	/* Whitespace after the object is not a byte of the value. */
	expect_canon("{\"a\":1}\n", 0, "{\"a\":1}");
}
END_TEST

START_TEST(rejects_nul)
{
	static const char raw[] = "{\"a\":\"x\0y\"}";
	char err[128];

	ck_assert_int_eq(parse_len(raw, sizeof(raw) - 1, err, sizeof(err)),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "NUL byte at offset 7"));
	expect_refused("{\"a\":\"x\\u0000y\"}", "\\u0000");
	expect_refused("{\"a\\u0000\":1}", "\\u0000");
}
END_TEST

START_TEST(rejects_bad_utf8)
{
	expect_refused("{\"a\":\"\xff\"}", "decode");
	expect_refused("{\"a\":\"\xc0\xaf\"}", "decode");	/* overlong */
	expect_refused("{\"a\":\"\xed\xa0\x80\"}", "decode");	/* surrogate */
	expect_refused("{\"a\":\"\\ud800\"}", "Unicode");	/* lone escape */
}
END_TEST

START_TEST(rejects_oversized)
{
	size_t n = SIGN_DOC_MAX;
	char *buf = malloc(n + 2), err[128];

	ck_assert_ptr_nonnull(buf);
	/* Exactly at the cap: accepted. */
	memset(buf, ' ', n);
	memcpy(buf, "{\"a\":\"", 6);
	memset(buf + 6, 'x', n - 8);
	memcpy(buf + n - 2, "\"}", 2);
	ck_assert_int_eq(parse_len(buf, n, err, sizeof(err)), SIGN_OK);
	/* One byte more: refused before parsing. */
	buf[n] = ' ';
	ck_assert_int_eq(parse_len(buf, n + 1, err, sizeof(err)),
	    SIGN_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "over the cap"));
	free(buf);
}
END_TEST

START_TEST(rejects_big_integers_and_depth)
{
	char deep[256] = "{\"a\":";
	size_t n = strlen(deep);

	expect_refused("{\"a\":9223372036854775808}", "too big integer");
	expect_refused("{\"a\":-9223372036854775809}", "too big negative");
	expect_refused("{\"a\":01}", "invalid token");
	expect_refused("[1,2]", "not a JSON object");
	/* 33 levels: the object and 32 arrays. */
	for (int i = 0; i < 32; i++)
		deep[n++] = '[';
	for (int i = 0; i < 32; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	expect_refused(deep, "nested deeper");
}
END_TEST

START_TEST(canonicalize_doc)
{
	const char *in = "{ \"b\": 2, \"a\": \"\\u00e9\" }";
	uint8_t *out;
	size_t len;
	char err[128];

	ck_assert_int_eq(sign_cjson_canonicalize((const uint8_t *)in,
	    strlen(in), &out, &len, err, sizeof(err)), SIGN_OK);
	ck_assert_str_eq((char *)out, "{\"a\":\"\xc3\xa9\",\"b\":2}");
	free(out);
	ck_assert_int_eq(sign_cjson_canonicalize((const uint8_t *)"{\"a\":1.5}",
	    9, &out, &len, err, sizeof(err)), SIGN_ERR_FORMAT);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sign_cjson");
	TCase *tc = tcase_create("cjson");

	tcase_add_test(tc, key_order_and_whitespace);
	tcase_add_test(tc, key_order_is_bytewise_utf8);
	tcase_add_test(tc, string_escapes);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, wire_form_round_trips);
	tcase_add_test(tc, encoder_refuses_reals);
	tcase_add_test(tc, rejects_duplicate_keys);
	tcase_add_test(tc, rejects_floats);
	tcase_add_test(tc, rejects_trailing_bytes);
	tcase_add_test(tc, rejects_nul);
	tcase_add_test(tc, rejects_bad_utf8);
	tcase_add_test(tc, rejects_oversized);
	tcase_add_test(tc, rejects_big_integers_and_depth);
	tcase_add_test(tc, canonicalize_doc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sign_init() != 0)
		return EXIT_FAILURE;
	return tu_run(suite());
}
