-- Quotas are taken in blocks (leases): a replica counts a block of a user's requests in quota_usage.requests and its
-- tokens in reserved_tokens, serves requests from it in memory and gives back what it did not use. lease_until is
-- when the newest lease on the row stops being kept alive (epoch milliseconds; 0: never leased): past it, whoever
-- held tokens there has stopped writing (it crashed), and what it held is reported as used, never as free.
ALTER TABLE quota_usage ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
