/* Fuzzes the strict parser and canonical encoder of signed documents:
 * canonicalization is idempotent, its output parses back to the same
 * value, and the signature form is never longer than the wire form. */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fz_dup(data, size), *c1 = NULL, *c2 = NULL, *raw = NULL;
	size_t l1 = 0, l2 = 0, lraw = 0;
	json_t *v = NULL, *v2 = NULL;
	char err[256] = "";
	enum sign_result rp, rc;

	rp = sign_cjson_parse(buf, size, &v, err, sizeof(err));
	FZ_ASSERT(rp == SIGN_OK || rp == SIGN_ERR_FORMAT);
	FZ_ASSERT(rp == SIGN_OK || err[0] != '\0');
	err[0] = '\0';
	rc = sign_cjson_canonicalize(buf, size, &c1, &l1, err, sizeof(err));
	if (rp != SIGN_OK) {
		FZ_ASSERT(rc == rp);
		goto out;
	}
	FZ_ASSERT(json_is_object(v));
	if (rc != SIGN_OK) {
		/* Parsed but not encodable: only escapes growing the text
		 * past the cap may do that (depth and types were checked). */
		FZ_ASSERT(rc == SIGN_ERR_FORMAT);
		FZ_ASSERT(strstr(err, "cap") != NULL);
		goto out;
	}
	FZ_ASSERT(l1 >= 2 && l1 <= SIGN_DOC_MAX);
	FZ_ASSERT(c1[l1] == '\0' && strlen((const char *)c1) == l1);
	FZ_ASSERT(c1[0] == '{' && c1[l1 - 1] == '}');
	/* Canonical output is a fixed point. */
	FZ_ASSERT(sign_cjson_canonicalize(c1, l1, &c2, &l2, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(l2 == l1 && memcmp(c1, c2, l1) == 0);
	/* ... and holds the same value as the input. */
	FZ_ASSERT(sign_cjson_parse(c1, l1, &v2, err, sizeof(err)) == SIGN_OK);
	FZ_ASSERT(json_equal(v, v2));
	/* The form signatures cover escapes less, so it is never longer. */
	FZ_ASSERT(sign_cjson_encode(v, 0, &raw, &lraw, err, sizeof(err)) ==
	    SIGN_OK);
	FZ_ASSERT(lraw <= l1 && raw[lraw] == '\0');
	/* Without any escape the two forms are the same bytes. */
	if (memchr(c1, '\\', l1) == NULL)
		FZ_ASSERT(lraw == l1 && memcmp(raw, c1, l1) == 0);
out:
	free(raw);
	free(c2);
	free(c1);
	json_decref(v2);
	json_decref(v);
	free(buf);
	return 0;
}
