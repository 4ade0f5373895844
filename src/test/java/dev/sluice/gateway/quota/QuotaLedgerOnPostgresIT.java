package dev.sluice.gateway.quota;

import java.util.UUID;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The quota's SQL on real PostgreSQL, the production database. */
class QuotaLedgerOnPostgresIT extends QuotaLedgerContract {

    private static final QuotaDatabase POSTGRES = QuotaDatabase.postgres();

    QuotaLedgerOnPostgresIT() {
        super(POSTGRES);
    }

    @Test
    void asynchronousCommitStaysWithTheQuotasOwnStatements() {
        // One connection, so that the next statement runs on the very session the quota's ran on.
        QuotaDatabase single = QuotaDatabase.postgres(1);
        QuotaRows rows = new QuotaRows(single.client, DEFAULTS, new SimpleMeterRegistry());
        UUID user = single.newUser();
        rows.openDay(user, DAY).block(TIMEOUT);

        assertThat(rows.take(user, DAY, new QuotaRows.Change(1, 0, 10, 0, 0, 1, 0)).block(TIMEOUT)).isTrue();
        rows.giveBack(user, DAY, 0, 10, 5, 0).block(TIMEOUT);

        String setting = single.client.sql("SHOW synchronous_commit").map(row -> row.get(0, String.class)).one().block(TIMEOUT);
        assertThat(setting).as("other writes on the connection still wait for the disk").isEqualTo("on");
    }
}
