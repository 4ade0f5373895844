package dev.sluice.gateway.status;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Each probe round lands in the {@code provider_status} table, and rows past the retention leave it. */
class ProviderStatusHistoryIT extends IntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Autowired
    private ProviderStatusMonitor monitor;

    @Autowired
    private DatabaseClient database;

    @Test
    void aProbeRoundIsKeptInTheDatabaseAndOldRoundsArePruned() {
        OffsetDateTime before = OffsetDateTime.now(ZoneOffset.UTC).minusSeconds(1);
        String oldReplica = "pruned-" + System.nanoTime();
        database.sql("INSERT INTO provider_status (provider, replica, checked_at, status, circuit, uptime_pct) "
                        + "VALUES ('fake', :replica, :at, 'up', 'closed', 100)")
                .bind("replica", oldReplica).bind("at", before.minusDays(31)).then().block(TIMEOUT);

        monitor.probeRound().blockLast(TIMEOUT);

        List<Map<String, Object>> rows = database.sql("SELECT provider, status, circuit, uptime_pct FROM provider_status "
                        + "WHERE provider = 'fake' AND checked_at >= :since")
                .bind("since", before).fetch().all().collectList().block(TIMEOUT);
        assertThat(rows).as("the fake answered its probe").isNotEmpty()
                .allSatisfy(row -> {
                    assertThat(row.get("status")).isEqualTo("up");
                    assertThat(row.get("circuit")).isEqualTo("closed");
                });
        Long old = database.sql("SELECT COUNT(*) AS n FROM provider_status WHERE replica = :replica")
                .bind("replica", oldReplica).map(row -> row.get("n", Long.class)).one().block(TIMEOUT);
        assertThat(old).as("a round older than the 30-day retention is gone").isZero();
    }
}
