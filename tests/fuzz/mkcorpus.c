/* Writes the seed corpora of the fuzz harnesses: real envelopes signed by
 * the fixed keys of fuzz.h, key files, and small valid texts for the other
 * parsers. Usage: mkcorpus DIR (DIR/<target>/<seed> files are replaced).
 * Key files are sealed here at a tiny Argon2id cost, which the library
 * never writes, so this tool includes <sodium.h> itself. */
#include <errno.h>
#include <sys/stat.h>

#include <sodium.h>

#include "fuzz.h"
#include "util/util.h"

static const char *outdir;

static void
put(const char *target, const char *name, const void *a, size_t alen,
    const void *b, size_t blen)
{
	char path[4096];
	uint8_t *buf = malloc(alen + blen + 1);

	FZ_ASSERT(buf != NULL);
	if (util_fmt(path, sizeof(path), "%s/%s", outdir, target) != 0 ||
	    util_mkdir(path, 0755) != 0 ||
	    util_fmt(path, sizeof(path), "%s/%s/%s", outdir, target,
	    name) != 0) {
		fprintf(stderr, "mkcorpus: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	if (util_write_atomic(path, buf, alen + blen, 0644) != 0) {
		fprintf(stderr, "mkcorpus: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(buf);
}

/* A seed spelled as one string literal, NUL bytes and all. */
#define PUT_LIT(target, name, lit) put(target, name, lit, sizeof(lit) - 1, \
	"", 0)

/* A seed of a one-byte mode (or any prefix) and text. */
static void
put_str(const char *target, const char *name, const char *prefix,
    size_t prefix_len, const char *text)
{
	put(target, name, prefix, prefix_len, text, strlen(text));
}

/* The envelope in buf with its signatures dropped; the caller frees. */
static uint8_t *
unsigned_copy(const uint8_t *buf, size_t len, size_t *outlen)
{
	json_t *v = NULL;
	uint8_t *out = NULL;

	FZ_ASSERT(sign_cjson_parse(buf, len, &v, NULL, 0) == SIGN_OK);
	FZ_ASSERT(json_object_set_new(v, "signatures", json_array()) == 0);
	FZ_ASSERT(sign_cjson_encode(v, SIGN_CJSON_WIRE, &out, outlen, NULL,
	    0) == SIGN_OK);
	json_decref(v);
	return out;
}

static uint8_t *
make_root_v2(size_t *len)
{
	static const enum fz_key_id root_ids[] = { FZ_R1, FZ_R3 };
	static const enum fz_key_id rel_ids[] = { FZ_L1, FZ_L2 };
	static const enum fz_key_id online_ids[] = { FZ_O1 };
	const struct sign_key *signers[3] = { fz.key[FZ_R1], fz.key[FZ_R2],
	    fz.key[FZ_R3] };
	struct sign_root *f = sign_root_new(), *next = NULL;
	uint8_t *out = NULL;
	char err[256];

	FZ_ASSERT(f != NULL);
	f->version = 2;
	f->expires = FZ_NOW + 365 * FZ_DAY;
	fz_role(f, SIGN_ROLE_ROOT, root_ids, 2, 2);
	fz_role(f, SIGN_ROLE_RELEASE, rel_ids, 2, 1);
	fz_role(f, SIGN_ROLE_ONLINE, online_ids, 1, 1);
	FZ_ASSERT(sign_root_create(f, signers, 3, &out, len, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(sign_root_verify_next(fz.trusted, out, *len, FZ_NOW, &next,
	    err, sizeof(err)) == SIGN_OK);
	sign_root_free(next);
	sign_root_free(f);
	return out;
}

static uint8_t *
make_release(const char *version, const char *notes, size_t nkeys,
    size_t *len)
{
	const struct sign_key *keys[2] = { fz.key[FZ_L1], fz.key[FZ_L2] };
	struct sign_release *f = sign_release_new(), *back = NULL;
	uint8_t *out = NULL;
	char err[256];

	FZ_ASSERT(f != NULL);
	memcpy(f->fw_version, version, strlen(version) + 1);
	memcpy(f->hw_classes[0], "board-a", 8);
	memcpy(f->hw_classes[1], "board-b", 8);
	f->nhw_classes = 2;
	f->security_counter = 1;
	f->length = 11;
	sign_sha256("hello world", 11, f->sha256);
	f->created = FZ_NOW - FZ_DAY;
	f->expires = FZ_NOW + 30 * FZ_DAY;
	if (notes != NULL)
		f->notes = strdup(notes);
	FZ_ASSERT(sign_release_create(f, keys, nkeys, &out, len, err,
	    sizeof(err)) == SIGN_OK);
	FZ_ASSERT(sign_release_verify(fz.trusted, out, *len, FZ_NOW, &back,
	    err, sizeof(err)) == SIGN_OK);
	sign_release_free(back);
	sign_release_free(f);
	return out;
}

static uint8_t *
make_assignment(const uint8_t *rel, size_t rel_len, size_t *len)
{
	uint8_t h[SIGN_SHA256_LEN], *out = NULL;
	char err[256];

	sign_sha256(rel, rel_len, h);
	FZ_ASSERT(sign_assignment_create(fz.key[FZ_O1], "dev-1", h, "camp-1",
	    "nonce-1", FZ_NOW, FZ_NOW + 3600, &out, len, err, sizeof(err)) ==
	    SIGN_OK);
	return out;
}

/* A key file as sign_keyfile_encode writes it, at a chosen cost. */
static uint8_t *
make_keyfile(enum fz_key_id id, uint64_t ops, uint64_t mem, size_t *len)
{
	static const char check_ctx[] = "otad-secret-key check";
	static const char aead_ctx[] = "otad-secret-key aead";
	static const char pass[] = "fuzz passphrase";
	uint8_t salt[crypto_pwhash_SALTBYTES], master[32], check[16];
	uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint8_t seed[SIGN_SEED_LEN], *ad, *out, *res;
	uint8_t ct[SIGN_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	struct sign_key *back = NULL;
	size_t adlen, outlen;
	char err[256], hex[2 * sizeof(ct) + 1], salthex[2 * sizeof(salt) + 1];
	char checkhex[2 * sizeof(check) + 1], noncehex[2 * sizeof(nonce) + 1];
	json_t *v;

	memset(seed, 0x11 + id, sizeof(seed));
	memset(salt, 0xa5, sizeof(salt));
	memset(nonce, 0x5a, sizeof(nonce));
	FZ_ASSERT(crypto_pwhash(master, sizeof(master), pass, strlen(pass),
	    salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) == 0);
	crypto_generichash(check, sizeof(check), (const uint8_t *)check_ctx,
	    sizeof(check_ctx) - 1, master, sizeof(master));
	crypto_generichash(key, sizeof(key), (const uint8_t *)aead_ctx,
	    sizeof(aead_ctx) - 1, master, sizeof(master));
	sign_hex(salt, sizeof(salt), salthex);
	sign_hex(check, sizeof(check), checkhex);
	sign_hex(nonce, sizeof(nonce), noncehex);
	v = json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:I, s:I, s:o}, s:o, "
	    "s:{s:s, s:o}}",
	    "format", "otad-secret-key", "version", 1, "keytype", "ed25519",
	    "keyid", fz.pub[id].keyid,
	    "kdf", "alg", "argon2id13", "opslimit", (json_int_t)ops,
	    "memlimit", (json_int_t)mem,
	    "salt", json_string(salthex), "check", json_string(checkhex),
	    "aead", "alg", "xchacha20poly1305-ietf",
	    "nonce", json_string(noncehex));
	FZ_ASSERT(v != NULL);
	FZ_ASSERT(sign_cjson_encode(v, 0, &ad, &adlen, NULL, 0) == SIGN_OK);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, seed, sizeof(seed),
	    ad, adlen, NULL, nonce, key);
	sign_hex(ct, sizeof(ct), hex);
	FZ_ASSERT(json_object_set_new(v, "ciphertext", json_string(hex)) == 0);
	FZ_ASSERT(sign_cjson_encode(v, SIGN_CJSON_WIRE, &out, &outlen, NULL,
	    0) == SIGN_OK);
	res = realloc(out, outlen + 2);
	FZ_ASSERT(res != NULL);
	res[outlen] = '\n';
	res[outlen + 1] = '\0';
	*len = outlen + 1;
	/* It must open with the library's own reader. */
	FZ_ASSERT(sign_keyfile_decode(res, *len, (const uint8_t *)pass,
	    strlen(pass), &back, err, sizeof(err)) == SIGN_OK);
	FZ_ASSERT(strcmp(sign_key_id(back), fz.pub[id].keyid) == 0);
	sign_key_free(back);
	free(ad);
	json_decref(v);
	return res;
}

static void
signed_docs(void)
{
	uint8_t *v2, *rel, *rel2, *asg, *tmp, *kf, *cu;
	size_t v2len, rellen, rel2len, asglen, tmplen, kflen;

	v2 = make_root_v2(&v2len);
	rel = make_release("1.2.0", NULL, 1, &rellen);
	rel2 = make_release("2.0.0-rc.1", "Fixes:\n\t* boot \"loop\"\n"
	    "Caf\xc3\xa9 \\ \x7f", 2, &rel2len);
	asg = make_assignment(rel, rellen, &asglen);

	put("cjson", "root-v1", fz.root_v1, fz.root_v1_len, "", 0);
	put("cjson", "release-notes", rel2, rel2len, "", 0);
	put_str("cjson", "values", "", 0, "{\"a\":[1,-9223372036854775808,"
	    "9223372036854775807],\"b\":{\"\\u00e9\":\"\\u00e9\\\"\\n\\\\\"},"
	    "\"c\":[[[]],{}],\"d\":null,\"e\":true,\"f\":false,"
	    "\"\\ud83d\\ude00\":\"\xf0\x9f\x98\x80\"}");
	put_str("cjson", "spaces", "", 0, " {\n\t\"z\" : 1 ,\r\n \"y\":[ ] }\n");

	put("envelope", "root-v1", fz.root_v1, fz.root_v1_len, "", 0);
	put("envelope", "root-v2", v2, v2len, "", 0);
	put("envelope", "release", rel, rellen, "", 0);
	put("envelope", "release-notes", rel2, rel2len, "", 0);
	put("envelope", "assignment", asg, asglen, "", 0);

	put("root", "v1", "\x00", 1, fz.root_v1, fz.root_v1_len);
	put("root", "v2", "\x00", 1, v2, v2len);
	tmp = unsigned_copy(fz.root_v1, fz.root_v1_len, &tmplen);
	put("root", "v1-unsigned-cosign", "\x01", 1, tmp, tmplen);
	free(tmp);
	tmp = unsigned_copy(v2, v2len, &tmplen);
	put("root", "v2-unsigned-cosign", "\x03", 1, tmp, tmplen);
	free(tmp);

	put("release", "signed", "\x00", 1, rel, rellen);
	put("release", "notes-two-signers", "\x00", 1, rel2, rel2len);
	tmp = unsigned_copy(rel, rellen, &tmplen);
	put("release", "unsigned-cosign", "\x01", 1, tmp, tmplen);
	free(tmp);

	put("assignment", "signed", "\x00", 1, asg, asglen);
	tmp = unsigned_copy(asg, asglen, &tmplen);
	put("assignment", "unsigned-cosign", "\x01", 1, tmp, tmplen);
	free(tmp);

	/* Mode, device byte (0: running 1.0.0 on board-a, counter 0), the
	 * release, NUL, the assignment. */
	cu = malloc(rellen + asglen + 1);
	FZ_ASSERT(cu != NULL);
	memcpy(cu, rel, rellen);
	cu[rellen] = '\0';
	memcpy(cu + rellen + 1, asg, asglen);
	put("check_update", "accept", "\x00\x00", 2, cu, rellen + asglen + 1);
	put("check_update", "newer-running", "\x00\x03", 2, cu,
	    rellen + asglen + 1);
	put("check_update", "rebind", "\x07\x00", 2, cu, rellen + asglen + 1);
	free(cu);
	/* Each rule of the decision, from a release 2.0.0 at counter 1. */
	free(rel);
	free(asg);
	rel = make_release("2.0.0", NULL, 1, &rellen);
	asg = make_assignment(rel, rellen, &asglen);
	cu = malloc(rellen + asglen + 1);
	FZ_ASSERT(cu != NULL);
	memcpy(cu, rel, rellen);
	cu[rellen] = '\0';
	memcpy(cu + rellen + 1, asg, asglen);
	put("check_update", "reinstall", "\x00\x0f", 2, cu, rellen + asglen + 1);
	put("check_update", "running-not-semver", "\x00\x04", 2, cu,
	    rellen + asglen + 1);
	put("check_update", "rollback", "\x00\x18", 2, cu, rellen + asglen + 1);
	put("check_update", "incompatible", "\x00\x06", 2, cu,
	    rellen + asglen + 1);
	put("check_update", "freeze", "\x08\x00", 2, cu, rellen + asglen + 1);
	free(cu);
	tmp = unsigned_copy(rel2, rel2len, &tmplen);
	cu = malloc(tmplen + asglen + 1);
	FZ_ASSERT(cu != NULL);
	memcpy(cu, tmp, tmplen);
	cu[tmplen] = '\0';
	memcpy(cu + tmplen + 1, asg, asglen);
	put("check_update", "cosign-rebind-prerelease", "\x07\x00", 2, cu,
	    tmplen + asglen + 1);
	free(cu);
	free(tmp);

	for (int i = 0; i < FZ_NKEYS; i += 3) {
		uint8_t *pk = sign_pubkey_encode(&fz.pub[i], &tmplen);
		char name[32];

		FZ_ASSERT(pk != NULL);
		snprintf(name, sizeof(name), "key-%d", i);
		put("pubkey", name, pk, tmplen, "", 0);
		free(pk);
	}

	kf = make_keyfile(FZ_L2, 1, 8192, &kflen);
	put("keyfile", "ops1-mem8k", kf, kflen, "", 0);
	free(kf);
	kf = make_keyfile(FZ_O1, 2, 65536, &kflen);
	put("keyfile", "ops2-mem64k", kf, kflen, "", 0);
	free(kf);

	free(asg);
	free(rel2);
	free(rel);
	free(v2);
}

/* A lowercase sha256 for the report seeds. */
#define SHA64 "46a3c0ffee46a3c0ffee46a3c0ffee46a3c0ffee46a3c0ffee46a3c0ffee4662"

static void
texts(void)
{
	static const char sha[] = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380"
	    "ee9088f7ace2efcde9";
	uint8_t *conf;
	size_t conflen;
	char path[128];

	PUT_LIT("semver", "three", "1.0.0\0" "2.0.0-rc.1\0" "1.0.0-alpha.1");
	PUT_LIT("semver", "prerelease", "1.2.3-0.a.b-c\0" "1.2.3-0.a.b\0"
	    "1.2.3");
	PUT_LIT("semver", "numeric", "10.20.30-1.2\0" "10.20.30-1.10\0"
	    "9.99.999-x-y");

	put_str("jsonv", "fields", "", 0, "{\"a\":\"hello\",\"id\":\"dev-1\","
	    "\"name\":\"x.y:z_w\",\"n\":5}");
	put_str("jsonv", "types", "", 0, "{\"a\":true,\"id\":1.5,\"name\":null,"
	    "\"n\":\"15m\",\"x\":[]}");
	put_str("jsonv", "durations", "", 0, "{\"a\":\"2h\",\"n\":-1.5,"
	    "\"id\":\"1w\"}");
	put_str("jsonv", "array", "", 0, "[1,\"two\",{\"a\":3}]");

	PUT_LIT("config", "set-listen6", "\x00" "listen\0" "[::1]:9000");
	PUT_LIT("config", "set-threads", "\x00" "threads\0" "4");
	PUT_LIT("config", "set-size", "\x00" "max_artifact_size\0" "16G");
	PUT_LIT("config", "set-url", "\x00" "public_url\0"
	    "https://cdn.example.com");
	PUT_LIT("config", "set-duration", "\x00" "connection_timeout\0" "2m");
	PUT_LIT("config", "set-bool", "\x00" "artifacts_public\0" "yes");
	put_str("config", "listen4", "\x01", 1, "127.0.0.1:8080");
	put_str("config", "listen6-any-port", "\x01", 1, "[::1]:0");
	put_str("config", "file", "\x02", 1, "listen = 0.0.0.0:80\n"
	    "; comment\nlog_level = debug\nmax_json_body = 2M\n"
	    "data_dir = /srv/otad\n");
	/* The shipped file, when run from the top of the tree. */
	conf = util_read_file("conf/otad.conf", 65536, 0, &conflen);
	if (conf != NULL) {
		put("config", "shipped", "\x02", 1, conf, conflen);
		free(conf);
	}

	put_str("util", "int", "\x00", 1, "-123");
	put_str("util", "int-max", "\x00", 1, "9223372036854775807");
	put_str("util", "size", "\x01", 1, "64K");
	put_str("util", "size-big", "\x01", 1, "8191T");
	put_str("util", "duration", "\x02", 1, "90s");
	put_str("util", "duration-weeks", "\x02", 1, "5217w");
	put_str("util", "time", "\x03", 1, "2026-01-01T00:00:00Z");
	put_str("util", "time-leap", "\x03", 1, "2024-02-29T23:59:59Z");
	put_str("util", "time-offset", "\x04", 1, "2026-12-24T07:00:00.5+01:00");

	put_str("range", "first-last", "\x64", 1, "bytes=0-49");
	put_str("range", "suffix", "\x64", 1, "bytes=-10");
	put_str("range", "open", "\x64", 1, "bytes=50-");
	put_str("range", "several", "\x64", 1, "bytes=0-0,5-9");
	put_str("range", "past-end", "\x0a", 1, "bytes=10-20");
	PUT_LIT("range", "over-4g", "\xff\x00\x00\x00\x01\x00\x00\x00\x05"
	    "bytes=4294967296-");

	put_str("status", "downloading", "", 0, "{\"campaign\":\"3\","
	    "\"release\":\"" SHA64 "\",\"state\":\"downloading\"}");
	put_str("status", "installed-boot", "", 0, "{\"campaign\":\"direct\","
	    "\"release\":\"" SHA64 "\",\"state\":\"installed\","
	    "\"boot_id\":\"0b3c1e2a-77aa-4c1e-9f00-3a2b1c0d9e8f\"}");
	put_str("status", "rolled-back", "", 0, "{\"campaign\":\"12\","
	    "\"release\":\"" SHA64 "\",\"state\":\"rolled_back\","
	    "\"reason\":\"selftest\",\"detail\":\"watchdog at 3 s\","
	    "\"boot_id\":\"boot-7\"}");
	put_str("status", "failed-no-reason", "", 0, "{\"campaign\":\"1\","
	    "\"release\":\"" SHA64 "\",\"state\":\"failed\"}");
	put_str("health", "healthy", "", 0, "{\"fw_version\":\"1.1.0\","
	    "\"boot_ok\":true,\"selftest\":\"pass\",\"crash_count\":0,"
	    "\"uptime_s\":42,\"boot_id\":\"boot-2\"}");
	put_str("health", "crashed", "", 0, "{\"fw_version\":\"2.0.0-rc.1\","
	    "\"boot_ok\":false,\"selftest\":\"fail\",\"crash_count\":3}");
	put_str("health", "bad-boot-id", "", 0, "{\"fw_version\":\"1.0.0\","
	    "\"boot_ok\":true,\"selftest\":\"pass\",\"boot_id\":\"a b\"}");
	put_str("campaign", "full", "", 0, "{\"name\":\"spring\",\"release\":2,"
	    "\"cohort\":\"canary\",\"stages\":[5,25,100],\"gate\":"
	    "{\"min_sample\":3,\"max_failure_pct\":2.5,\"bad_failure_pct\":6,"
	    "\"false_halt_pct\":1,\"miss_pct\":5,\"baseline\":false,"
	    "\"min_healthy_pct\":95,\"bake_time\":\"2h\",\"report_timeout\":"
	    "\"30m\",\"absent_timeout\":\"1d\",\"auto_advance\":false,"
	    "\"max_attempts\":2},\"supersede\":true}");
	put_str("campaign", "controls", "", 0, "{\"release\":3,\"start_at\":"
	    "\"2026-12-24T06:00:00Z\",\"gate\":{\"min_stage_time\":\"2d\","
	    "\"max_in_flight\":50,\"retry\":{\"count\":2,\"backoff\":"
	    "\"10m\",\"factor\":2}}}");
	put_str("campaign", "minimal", "", 0, "{\"release\":1}");
	put_str("campaign", "window", "", 0, "{\"release\":1,\"gate\":"
	    "{\"window\":{\"tz\":\"Europe/Berlin\",\"slots\":[{\"days\":"
	    "[\"mon\",\"tue\"],\"start\":\"22:00\",\"end\":\"04:00\"},"
	    "{\"days\":[\"sun\"],\"start\":\"00:00\",\"end\":\"24:00\"}]}}}");
	put_str("tz", "rule-CET_1CEST_M3_5_0_M10", "\x00", 1,
	    "CET-1CEST,M3.5.0,M10.5.0/3");
	put_str("tz", "rule-AEST_10AEDT_M10_1_0_", "\x00", 1,
	    "AEST-10AEDT,M10.1.0,M4.1.0/3");
	put_str("campaign", "bad-stages", "", 0, "{\"release\":1,\"stages\":"
	    "[10,5,100]}");

	put_str("router", "healthz", "\x00", 1, "/healthz");
	put_str("router", "head", "\x01", 1, "/metrics");
	put_str("router", "token", "\x04", 1, "/v1/tokens/ci-bot");
	put_str("router", "root-version", "\x00", 1, "/v1/trust/root/3.json");
	put_str("router", "campaign-act", "\x02", 1, "/v1/campaigns/c1/pause");
	put_str("router", "wrong-method", "\x03", 1, "/v1/releases");
	snprintf(path, sizeof(path), "/v1/artifacts/%s", sha);
	put_str("router", "artifact", "\x00", 1, path);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	if (util_mkdir(outdir, 0755) != 0) {
		fprintf(stderr, "mkcorpus: %s: %s\n", outdir, strerror(errno));
		return 1;
	}
	fz_setup();
	signed_docs();
	texts();
	return 0;
}
