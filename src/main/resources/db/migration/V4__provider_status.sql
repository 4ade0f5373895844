-- Provider status history (design §4, §7): each replica's view of every provider after each probe round, so
-- that uptime outlives a replica's restart and ops can query it. Rows older than sluice.status.retention go.
CREATE TABLE provider_status (
    provider        VARCHAR(100)  NOT NULL,
    -- The replica that recorded the row (its host name: the pod's name on Kubernetes).
    replica         VARCHAR(100)  NOT NULL,
    checked_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    -- up | degraded | down, and closed | open | half_open, as GET /api/v1/status shows them.
    status          VARCHAR(16)   NOT NULL,
    circuit         VARCHAR(16)   NOT NULL,
    uptime_pct      DOUBLE PRECISION NOT NULL,
    latency_p50_ms  BIGINT,
    PRIMARY KEY (provider, checked_at, replica)
);
-- The pruning of old rows.
CREATE INDEX provider_status_checked_at ON provider_status (checked_at);
