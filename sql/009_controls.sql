-- Rollout controls (issue #18): a draft's scheduled start. 0: none; the
-- gate starts a draft once start_at has passed (docs/rollouts.md,
-- "Scheduled start"). Pacing, the concurrency cap and the retry policy
-- live in the stored policy (campaigns.policy) and need no column.
ALTER TABLE campaigns ADD COLUMN start_at INTEGER NOT NULL DEFAULT 0;

-- The gate looks for due drafts at every run: only scheduled ones.
CREATE INDEX campaigns_start_at ON campaigns (start_at) WHERE start_at > 0;
