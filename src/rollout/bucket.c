/* Device buckets, stage membership, stage lists and the dry-run plan. */
#include <string.h>

#include "rollout/rollout.h"
#include "sign/crypto.h"

uint32_t
rollout_bucket(const uint8_t *salt, size_t salt_len, const char *device_id)
{
	uint8_t buf[ROLLOUT_SALT_MAX + ROLLOUT_DEVICE_ID_MAX];
	uint8_t digest[SIGN_SHA256_LEN];
	uint64_t v = 0;
	size_t id_len;
	int i;

	if (device_id == NULL || (salt == NULL && salt_len > 0) ||
	    salt_len > ROLLOUT_SALT_MAX)
		return ROLLOUT_NO_BUCKET;
	id_len = strnlen(device_id, ROLLOUT_DEVICE_ID_MAX + 1);
	if (id_len > ROLLOUT_DEVICE_ID_MAX)
		return ROLLOUT_NO_BUCKET;
	if (salt_len > 0)
		memcpy(buf, salt, salt_len);
	memcpy(buf + salt_len, device_id, id_len);
	sign_sha256(buf, salt_len + id_len, digest);
	for (i = 0; i < 8; i++)
		v = (v << 8) | digest[i];
	return (uint32_t)(v % ROLLOUT_BUCKETS);
}

int
rollout_in_stage(uint32_t bucket, int pct)
{
	if (pct < 1 || pct > 100)
		return 0;
	return bucket < (uint32_t)pct * 100u;
}

int
rollout_stage_index(uint32_t bucket, const int *stages, int n)
{
	int i;

	if (stages == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (rollout_in_stage(bucket, stages[i]))
			return i;
	return -1;
}

int
rollout_stages_validate(const int *stages, int n, const char **why)
{
	const char *msg = NULL;
	int i;

	if (stages == NULL || n < 1)
		msg = "at least one stage is needed";
	else if (n > ROLLOUT_MAX_STAGES)
		msg = "at most 16 stages are allowed";
	else {
		for (i = 0; i < n && msg == NULL; i++) {
			if (stages[i] < 1 || stages[i] > 100)
				msg = "each stage is a percentage, 1 to 100";
			else if (i > 0 && stages[i] <= stages[i - 1])
				msg = "stages must be strictly increasing";
		}
		if (msg == NULL && stages[n - 1] != 100)
			msg = "the last stage must be 100";
	}
	if (msg != NULL && why != NULL)
		*why = msg;
	return msg == NULL ? 0 : -1;
}

void
rollout_stages_default(int stages[ROLLOUT_MAX_STAGES], int *n)
{
	static const int def[] = { 1, 10, 50, 100 };

	memcpy(stages, def, sizeof(def));
	*n = (int)(sizeof(def) / sizeof(def[0]));
}

void
rollout_plan(const uint32_t *buckets, size_t n, const int *stages,
    int nstages, uint64_t *per_stage_new, uint64_t *per_stage_cumulative)
{
	uint64_t counts[ROLLOUT_MAX_STAGES] = { 0 };
	uint64_t sum = 0;
	size_t j;
	int i, k;

	if (nstages < 1)
		return;
	if (rollout_stages_validate(stages, nstages, NULL) == 0 &&
	    (buckets != NULL || n == 0)) {
		for (j = 0; j < n; j++) {
			k = rollout_stage_index(buckets[j], stages, nstages);
			if (k >= 0)
				counts[k]++;
		}
	}
	/* An invalid stage list still gets its outputs written: all zeros. */
	for (i = 0; i < nstages; i++) {
		uint64_t c = i < ROLLOUT_MAX_STAGES ? counts[i] : 0;

		sum += c;
		if (per_stage_new != NULL)
			per_stage_new[i] = c;
		if (per_stage_cumulative != NULL)
			per_stage_cumulative[i] = sum;
	}
}
