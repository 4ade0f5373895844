package dev.sluice.gateway.quota;

import java.util.UUID;

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
        QuotaLedger ledger = new QuotaLedger(single.client, DEFAULTS);
        UUID user = single.newUser();

        assertThat(ledger.reserve(user, DAY, 10).block(TIMEOUT)).isTrue();
        ledger.settle(user, DAY, 0, 10, 5).block(TIMEOUT);

        String setting = single.client.sql("SHOW synchronous_commit").map(row -> row.get(0, String.class)).one().block(TIMEOUT);
        assertThat(setting).as("other writes on the connection still wait for the disk").isEqualTo("on");
    }
}
