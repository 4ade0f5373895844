package dev.sluice.gateway.quota;

/** The quota's SQL on H2 in PostgreSQL mode, the embedded default's database. */
class QuotaLedgerOnH2Tests extends QuotaLedgerContract {

    private static final QuotaDatabase H2 = QuotaDatabase.h2();

    QuotaLedgerOnH2Tests() {
        super(H2);
    }
}
