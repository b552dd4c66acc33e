/* config: defaults, every kind of value, errors naming file, line, key. */
#include "check_util.h"
#include "api/config.h"

static char dir[256];

static void
setup(void)
{
	tu_tmpdir(dir, sizeof(dir));
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

static const char *
write_conf(const char *text)
{
	static char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/otad.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* webhook_url's list: URLs split on spaces, at most 8, each http(s). */
START_TEST(webhook_url_lists)
{
	char buf[256];
	const char *u[8];

	snprintf(buf, sizeof(buf), "  http://a/x\thttps://b/y  ");
	ck_assert_int_eq(cfg_webhook_urls(buf, u, 8), 2);
	ck_assert_str_eq(u[0], "http://a/x");
	ck_assert_str_eq(u[1], "https://b/y");
	snprintf(buf, sizeof(buf), "%s", "");
	ck_assert_int_eq(cfg_webhook_urls(buf, u, 8), 0);
	snprintf(buf, sizeof(buf), "http://a/ b");
	ck_assert_int_eq(cfg_webhook_urls(buf, u, 8), -1);
	snprintf(buf, sizeof(buf), "http://a/ http://b/ http://c/");
	ck_assert_int_eq(cfg_webhook_urls(buf, u, 2), -1);
}
END_TEST

START_TEST(defaults_are_the_embedded_ones)
{
	struct cfg c;

	cfg_defaults(&c);
	ck_assert_str_eq(c.listen_addr, "127.0.0.1");
	ck_assert_int_eq(c.listen_port, 8080);
	ck_assert_str_eq(c.data_dir, "./var");
	ck_assert_int_eq(c.threads, 0);
	ck_assert_uint_eq(c.max_artifact_size, 8ULL << 30);
	ck_assert_int_eq(c.max_in_flight, 0);
	ck_assert_str_eq(c.webhook_url, "");
	ck_assert_int_eq(c.webhook_max_tries, 12);
	ck_assert_int_eq(c.webhook_backoff, 5);
	ck_assert_int_eq(c.webhook_backoff_max, 3600);
	ck_assert_int_eq(c.webhook_timeout, 10);
}
END_TEST

START_TEST(file_sets_every_kind_of_value)
{
	struct cfg c;
	char err[256];
	const char *p = write_conf(
	    "# a comment\n"
	    "listen = [::1]:9000\n"
	    "data_dir = /srv/otad\n"
	    "threads = 4\n"
	    "max_json_body = 2M\n"
	    "max_artifact_size = 16G\n"
	    "connection_timeout = 2m\n"
	    "log_level = debug\n"
	    "artifacts_public = true\n"
	    "max_in_flight = 500\n"
	    "webhook_url = https://hooks.example.com/otad\n"
	    "webhook_secret_file = /etc/otad/webhook.secret\n"
	    "webhook_max_tries = 30\n"
	    "webhook_backoff = 10s\n"
	    "webhook_backoff_max = 2h\n"
	    "webhook_timeout = 30s\n"
	    "public_url = https://cdn.example.com\n");

	cfg_defaults(&c);
	ck_assert_msg(cfg_load(&c, p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.listen_addr, "::1");
	ck_assert_int_eq(c.listen_port, 9000);
	ck_assert_str_eq(c.data_dir, "/srv/otad");
	ck_assert_int_eq(c.threads, 4);
	ck_assert_uint_eq(c.max_json_body, 2 << 20);
	ck_assert_uint_eq(c.max_artifact_size, 16ULL << 30);
	ck_assert_int_eq(c.connection_timeout, 120);
	ck_assert_int_eq(c.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(c.artifacts_public, 1);
	ck_assert_str_eq(c.public_url, "https://cdn.example.com");
	ck_assert_int_eq(c.max_in_flight, 500);
	ck_assert_str_eq(c.webhook_url, "https://hooks.example.com/otad");
	ck_assert_str_eq(c.webhook_secret_file, "/etc/otad/webhook.secret");
	ck_assert_int_eq(c.webhook_max_tries, 30);
	ck_assert_int_eq(c.webhook_backoff, 10);
	ck_assert_int_eq(c.webhook_backoff_max, 7200);
	ck_assert_int_eq(c.webhook_timeout, 30);
}
END_TEST

START_TEST(unknown_key_names_file_line_and_key)
{
	struct cfg c;
	char err[256], want[400];
	const char *p = write_conf("threads = 2\n\nlisten_port = 80\n");

	cfg_defaults(&c);
	ck_assert_int_eq(cfg_load(&c, p, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: listen_port: unknown key", p);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(bad_values_are_refused)
{
	static const char *const bad[] = {
		"listen = 127.0.0.1:99999\n", "listen = localhost:80\n",
		"listen = 127.0.0.1\n", "threads = many\n", "threads = -1\n",
		"max_json_body = 1Q\n", "log_level = loud\n",
		"artifacts_public = maybe\n", "public_url = ftp://x\n",
		"poll_interval = 0\n", "[server]\nthreads = 2\n",
		"max_in_flight = -1\n", "max_in_flight = 10000001\n",
		"webhook_url = ftp://x\n", "webhook_url = hooks.example.com\n",
		"webhook_url = http://a/ ftp://b/\n",
		"webhook_url = http://1/ http://2/ http://3/ http://4/ http://5/ "
		"http://6/ http://7/ http://8/ http://9/\n",
		"webhook_max_tries = 0\n", "webhook_backoff = 0\n",
		"webhook_timeout = 1h\n",
		"no equals sign\n",
	};
	struct cfg c;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = write_conf(bad[i]);
		cfg_defaults(&c);
		ck_assert_msg(cfg_load(&c, p, err, sizeof(err)) == -1,
		    "accepted: %s", bad[i]);
		ck_assert_msg(strstr(err, p) != NULL && (strstr(err, ":1:") !=
		    NULL || strstr(err, ":2:") != NULL), "no line in: %s", err);
	}
}
END_TEST

/* Found by fuzz_config: data_dir and public_url were stored, then
 * refused. */
START_TEST(refused_value_changes_nothing)
{
	static const char *const bad[][2] = {
		{ "data_dir", "" }, { "public_url", "https:com" },
		{ "public_url", "ftp://x" }, { "listen", "[::1]:99999" },
		{ "threads", "-1" }, { "max_json_body", "2G" },
	};
	struct cfg c, d;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg_defaults(&c);
		cfg_defaults(&d);
		ck_assert_int_eq(cfg_set(&c, bad[i][0], bad[i][1], err,
		    sizeof(err)), -1);
		ck_assert_msg(memcmp(&c, &d, sizeof(c)) == 0, "%s = \"%s\" "
		    "changed the config", bad[i][0], bad[i][1]);
	}
}
END_TEST

START_TEST(bad_port_message_names_the_key)
{
	struct cfg c;
	char err[256];
	const char *p = write_conf("listen = 127.0.0.1:99999\n");

	cfg_defaults(&c);
	ck_assert_int_eq(cfg_load(&c, p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":1: listen: bad value"));
}
END_TEST

START_TEST(unreadable_file_is_an_error)
{
	struct cfg c;
	char err[256];

	cfg_defaults(&c);
	ck_assert_int_eq(cfg_load(&c, "/nonexistent/otad.conf", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/otad.conf: cannot read"));
}
END_TEST

START_TEST(shipped_config_loads)
{
	struct cfg c, d;
	char err[256];

	cfg_defaults(&c);
	cfg_defaults(&d);
	ck_assert_msg(cfg_load(&c, "conf/otad.conf", err, sizeof(err)) == 0,
	    "%s", err);
	/* Every key there is a documented default: loading changes nothing. */
	ck_assert_int_eq(memcmp(&c, &d, sizeof(c)), 0);
}
END_TEST

/* SIGHUP names what changed from cfg_changed's table: every key of the
 * shipped config (which lists them all) must be in it, and a change of
 * each kind of value must be seen. */
START_TEST(reload_tracks_every_key)
{
	struct cfg a, b;
	const char *keys[64];
	char line[256], key[64], err[256];
	FILE *f = fopen("conf/otad.conf", "r");
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t k = strspn(line, "abcdefghijklmnopqrstuvwxyz_");

		if (k == 0 || k >= sizeof(key) || strchr(" =", line[k]) == NULL)
			continue;
		memcpy(key, line, k);
		key[k] = '\0';
		ck_assert_msg(cfg_key_tracked(key), "%s: not in cfg_changed's "
		    "table", key);
		n++;
	}
	fclose(f);
	ck_assert_int_ge(n, 37);
	cfg_defaults(&a);
	cfg_defaults(&b);
	ck_assert_int_eq(cfg_changed(&a, &b, keys, 64), 0);
	ck_assert_int_eq(cfg_set(&b, "listen", "127.0.0.1:9", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg_set(&b, "public_url", "https://ota.example",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(cfg_set(&b, "max_artifact_size", "1G", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg_changed(&a, &b, keys, 64), 3);
	ck_assert_str_eq(keys[0], "listen");	/* once, for addr and port */
	ck_assert_str_eq(keys[1], "max_artifact_size");
	ck_assert_str_eq(keys[2], "public_url");
	ck_assert_int_eq(cfg_changed(&a, &b, keys, 2), -1);
	/* A shorter text over a longer one: compared as text. */
	ck_assert_int_eq(cfg_set(&a, "public_url", "https://ota.example/x",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(cfg_set(&a, "public_url", "https://ota.example",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(cfg_changed(&a, &b, keys, 64), 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, webhook_url_lists);
	tcase_add_test(tc, defaults_are_the_embedded_ones);
	tcase_add_test(tc, file_sets_every_kind_of_value);
	tcase_add_test(tc, unknown_key_names_file_line_and_key);
	tcase_add_test(tc, bad_values_are_refused);
	tcase_add_test(tc, refused_value_changes_nothing);
	tcase_add_test(tc, bad_port_message_names_the_key);
	tcase_add_test(tc, unreadable_file_is_an_error);
	tcase_add_test(tc, shipped_config_loads);
	tcase_add_test(tc, reload_tracks_every_key);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
