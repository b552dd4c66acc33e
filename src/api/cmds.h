/* otad's offline commands, and the data dir helpers the daemon shares. */
#ifndef API_CMDS_H
#define API_CMDS_H

#include <stddef.h>

#include "api/cli.h"
#include "api/config.h"
#include "api/server.h"

/* data_dir/name into out, or fatal when it does not fit. */
void cmd_path(const struct cfg *c, const char *name, char *out, size_t size);
/* Opens the store, refusing (fatal) a data dir that holds none unless
 * create. */
struct db *cmd_open_store(const struct cfg *c, int create);
/* Run as root on a data dir owned by another user: becomes that user
 * (fatal if it cannot). 1 when it did, else 0. */
int cmd_as_owner(const struct cfg *c);
/* Takes the data dir's lock (otad.lock, holding the pid) for the life of
 * the process; fatal, naming the holder's pid and what, when another
 * otad holds it. Returns its descriptor. */
int cmd_lock(const struct cfg *c, const char *what);

int cmd_token(struct srv *s, const struct otad_args *a);
int cmd_backup(struct srv *s, const struct otad_args *a);
int cmd_restore(struct srv *s, const struct otad_args *a);
/* otad migrate-to URL: copies the stopped SQLite store into an empty
 * PostgreSQL database (db/migrate.h); prints a summary and what next. */
int cmd_migrate_to(struct srv *s, const struct otad_args *a);
int cmd_online_key(struct srv *s, const struct otad_args *a);

#endif
