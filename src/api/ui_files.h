/* The web console's files, compiled in by scripts/embed-ui (the table is
 * generated under build/.../gen/ui.c). */
#ifndef API_UI_FILES_H
#define API_UI_FILES_H

#include <stddef.h>

struct ui_file {
	const char *name;		/* "app.js": no directory, no dot first */
	const char *type;		/* Content-Type */
	const char *etag;		/* strong, with its quotes */
	const unsigned char *data;
	size_t len;
};

extern const struct ui_file ui_files[];
extern const size_t ui_files_count;

#endif
