/* Fuzzes the Authorization header's Bearer parser. Input: the header
 * value. It agrees with a plain reading of RFC 9110's credentials
 * (scheme in any case, 1*SP, token68 of at most 128 characters), and a
 * token it returns lies inside the header and ends it. */
#include <ctype.h>

#include "fuzz.h"
#include "api/auth.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
t68(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || c == '+' || c == '/';
}

static const char *
model(const char *h)
{
	static const char scheme[] = "bearer";
	size_t i, n = strlen(h), start, end;

	for (i = 0; i < 6; i++)
		if (i >= n || tolower((unsigned char)h[i]) != scheme[i])
			return NULL;
	if (h[6] != ' ')
		return NULL;
	for (i = 6; h[i] == ' '; i++)
		;
	start = i;
	while (h[i] != '\0' && t68((unsigned char)h[i]))
		i++;
	if (i == start)
		return NULL;
	while (h[i] == '=')
		i++;
	end = i;
	if (h[end] != '\0' || end - start > 128)
		return NULL;
	return h + start;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = fz_str(data, size);
	const char *tok = auth_bearer(h), *want = model(h);

	FZ_ASSERT(tok == want);
	if (tok != NULL) {
		FZ_ASSERT(tok > h && tok <= h + strlen(h));
		FZ_ASSERT(strlen(tok) >= 1 && strlen(tok) <= 128);
		FZ_ASSERT(strchr(tok, ' ') == NULL);
	}
	free(h);
	return 0;
}
