-- USD budgets (issue 16). Amounts are micro-USD (1 USD = 1,000,000) in BIGINT: exact sums, no rounding drift.

-- A user's own budgets, set by an admin; NULL means the configured default (sluice.budgets.per-user).
ALTER TABLE users ADD COLUMN daily_budget_micro_usd BIGINT;
ALTER TABLE users ADD COLUMN monthly_budget_micro_usd BIGINT;

-- One row per budget and period: whose (scope user or key, and its id), which period (daily or monthly) and when it
-- began (the UTC day, or the first day of the UTC month). Updated only with conditional increments, so that replicas
-- together never let spending past the budget. No foreign key: a scope may be a user or a key.
CREATE TABLE budget_usage (
    scope_kind          VARCHAR(8) NOT NULL,
    scope_id            UUID       NOT NULL,
    period              VARCHAR(8) NOT NULL,
    period_start        DATE       NOT NULL,
    spent_micro_usd     BIGINT     NOT NULL DEFAULT 0,
    -- Held for calls in flight at their worst-case cost, settled to their real cost when each call ends.
    reserved_micro_usd  BIGINT     NOT NULL DEFAULT 0,
    PRIMARY KEY (scope_kind, scope_id, period, period_start)
);
CREATE INDEX budget_usage_start ON budget_usage (period_start);
