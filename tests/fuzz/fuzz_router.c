/* Fuzzes the route matcher. Input: a method byte, then the path. A match
 * puts its arguments back into the pattern to give the path again; a miss
 * lists exactly the methods that would have matched. The same bytes, as a
 * request id and as a query parameter's name, are judged as reference
 * readings judge them (the id's charset and cap; a whole word of a
 * route's list). */
#include "fuzz.h"
#include "api/api.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const struct {
	enum http_method m;
	const char *name;
} methods[] = {
	{ HTTP_GET, "GET" }, { HTTP_HEAD, "HEAD" }, { HTTP_POST, "POST" },
	{ HTTP_PUT, "PUT" }, { HTTP_DELETE, "DELETE" }, { HTTP_PATCH, "PATCH" },
	{ HTTP_OTHER, NULL },
};

/* Rebuilds a path from pattern and args into out; 0/-1 when too long. */
static int
rebuild(const char *pattern, char (*args)[API_ARG_MAX], char *out,
    size_t size)
{
	size_t o = 0;
	int k = 0;

	for (const char *p = pattern; *p != '\0'; p++) {
		const char *piece = p;
		size_t n = 1;

		if (p[0] == '{' && p[1] == '}') {
			FZ_ASSERT(k < API_ARGS_MAX);
			piece = args[k++];
			n = strlen(piece);
			p++;
		}
		if (o + n >= size)
			return -1;
		memcpy(out + o, piece, n);
		o += n;
	}
	out[o] = '\0';
	return k;
}

/* 1 when allow lists name as a whole item. */
static int
lists(const char *allow, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = allow; (p = strstr(p, name)) != NULL; p += n)
		if ((p == allow || p[-1] == ' ') && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

/* A request id: 1 to API_REQUEST_ID_MAX of A-Z a-z 0-9 - _ . : @ / + =. */
static int
ref_request_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > API_REQUEST_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-_.:@/+=", c) != NULL))
			return 0;
	}
	return 1;
}

/* name equals one of list's space-separated words. */
static int
ref_allowed(const char *list, const char *name)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n == strlen(name) && n > 0 && strncmp(p, name, n) == 0)
			return 1;
		p += n;
		p += *p == ' ';
	}
	return 0;
}

static void
check_words(const char *s)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64];
	const struct api_route *r = api_route_find(HTTP_GET, "/v1/devices", args,
	    allow, sizeof(allow));

	FZ_ASSERT(api_request_id_ok(s) == ref_request_id(s));
	FZ_ASSERT(r != NULL && r->params != NULL);
	FZ_ASSERT(api_param_allowed(r->params, s) == ref_allowed(r->params, s));
	FZ_ASSERT(api_param_allowed("limit after", s) ==
	    ref_allowed("limit after", s));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char args[API_ARGS_MAX][API_ARG_MAX], allow[64], *path, *again;
	const struct api_route *r;
	enum http_method m;

	if (size < 1)
		return 0;
	m = methods[data[0] % 6].m;
	path = fz_str(data + 1, size - 1);
	check_words(path);
	memset(args, 0x5a, sizeof(args));
	memset(allow, 0x5a, sizeof(allow));
	r = api_route_find(m, path, args, allow, sizeof(allow));
	if (r != NULL) {
		size_t need = strlen(path) + 1;
		int nargs;

		FZ_ASSERT(r->method == (m == HTTP_HEAD ? HTTP_GET : m));
		again = malloc(need);
		FZ_ASSERT(again != NULL);
		nargs = rebuild(r->pattern, args, again, need);
		FZ_ASSERT(nargs >= 0 && strcmp(again, path) == 0);
		for (int i = 0; i < nargs; i++) {
			size_t n = strnlen(args[i], API_ARG_MAX);

			FZ_ASSERT(n >= 1 && n < API_ARG_MAX);
			FZ_ASSERT(strchr(args[i], '/') == NULL);
		}
		free(again);
		goto out;
	}
	FZ_ASSERT(memchr(allow, '\0', sizeof(allow)) != NULL);
	/* The Allow list is exactly the methods that find a route. */
	for (size_t i = 0; methods[i].name != NULL; i++) {
		char a2[API_ARGS_MAX][API_ARG_MAX], al2[64];
		int found = api_route_find(methods[i].m, path, a2, al2,
		    sizeof(al2)) != NULL;

		FZ_ASSERT(found == lists(allow, methods[i].name));
		FZ_ASSERT(!found || methods[i].m != m);
	}
out:
	free(path);
	return 0;
}
