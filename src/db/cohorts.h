/* Cohorts: named groups of devices that campaigns can target. */
#ifndef DB_COHORTS_H
#define DB_COHORTS_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct db_cohort_write {
	const char *name, *description, *by;
	const char **device_ids;	/* members, by device_id */
	size_t n;
	int64_t now;
	int create;			/* 1: POST (new), 0: replace members */
	size_t missing;			/* out: index of an unknown device_id */
	int64_t count;			/* out: members afterwards */
};
/* Creates a cohort or replaces its members (write job). DB_CONFLICT if it
 * exists (create), DB_NOTFOUND if it does not (replace), DB_INVALID when
 * device_ids[missing] is no provisioned device. */
int db_cohort_write(struct db_tx *tx, void *arg);

struct db_cohort {
	int64_t id;
	char name[65];
	char description[257];
	char created_by[65];
	int64_t created_at, devices;
};
/* Every cohort in name order. */
int db_cohort_list(struct db *db, void (*fn)(const struct db_cohort *, void *),
    void *arg);
/* One cohort; DB_OK, DB_NOTFOUND or DB_ERR. */
int db_cohort_get(struct db *db, const char *name, struct db_cohort *out);
/* Its members' device_ids in order, after the cursor, at most limit. */
int db_cohort_members(struct db *db, int64_t cohort, const char *after,
    int64_t limit, void (*fn)(const char *device_id, void *), void *arg);

#endif
