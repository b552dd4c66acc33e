/* Fuzzes the Range header parser of artifact downloads. Input: a size
 * byte (small sizes) or 0xff and eight bytes (any size a file can have),
 * then the header. A range handed out always lies inside the file. */
#include "fuzz.h"
#include "http/range.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t fsize, off = 42, len = 42;
	char *h;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] != 0xff) {
		fsize = data[0];
		data++;
		size--;
	} else {
		if (size < 9)
			return 0;
		fsize = 0;
		for (int i = 1; i <= 8; i++)
			fsize = fsize << 8 | data[i];
		fsize &= INT64_MAX;	/* st_size is an off_t */
		data += 9;
		size -= 9;
	}
	h = fz_str(data, size);
	rc = http_parse_range(h, fsize, &off, &len);
	FZ_ASSERT(rc == -1 || rc == 0 || rc == 1);
	if (rc != 0)
		FZ_ASSERT(strncmp(h, "bytes=", 6) == 0 && strchr(h, ',') == NULL);
	if (rc == 1) {
		FZ_ASSERT(len >= 1 && off < fsize && len <= fsize - off);
		/* A suffix range ends the file; a start is kept as given. */
		if (h[6] == '-')
			FZ_ASSERT(off + len == fsize);
	} else {
		FZ_ASSERT(off == 42 && len == 42);
	}
	/* No header, the whole file. */
	FZ_ASSERT(http_parse_range(NULL, fsize, &off, &len) == 0);
	free(h);
	return 0;
}
