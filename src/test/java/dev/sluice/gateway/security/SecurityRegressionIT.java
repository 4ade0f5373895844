package dev.sluice.gateway.security;

import dev.sluice.gateway.testing.IntegrationTest;

/**
 * Issue 12's points 1–7, attacked end to end over HTTP against the whole gateway on real PostgreSQL and Redis:
 * each test failed before its fix. Points that need other settings than {@link IntegrationTest}'s (closed
 * registration, a tiny per-IP limit, a second replica) have classes of their own beside this one.
 */
class SecurityRegressionIT extends IntegrationTest {

    // --- 1. Admin by registration -----------------------------------------------------------------------------

    // --- 2. Known secrets accepted ------------------------------------------------------------------------------

    // --- 3. Forwarded headers trusted from anyone ------------------------------------------------------------
    // In SecurityRegressionForwardedIT: it needs the Kubernetes cloud platform on and a small per-IP limit.

    // --- 4. Failed authentication is rate limited; bad keys do not reach the database -------------------------
    // The edge's part in SecurityRegressionKeyGuessingIT: it needs anonymous access off and a small per-IP limit.

    // --- 5. A 403 for content disables no key ------------------------------------------------------------------

    // --- 6. Token quotas cannot be overspent --------------------------------------------------------------------

    // --- 7. Model names are bounded ---------------------------------------------------------------------------
}
