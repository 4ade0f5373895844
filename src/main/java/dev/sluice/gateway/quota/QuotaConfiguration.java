package dev.sluice.gateway.quota;

import java.time.Clock;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.scheduler.Schedulers;

/** Daily quotas on the application's database. */
@Configuration(proxyBeanMethods = false)
class QuotaConfiguration {

    @Bean
    QuotaLedger quotaLedger(DatabaseClient database, QuotaProperties properties) {
        return new QuotaLedger(database, properties);
    }

    /** Drained on shutdown, before the connection pool closes, so that finished requests are charged. */
    @Bean(destroyMethod = "drain")
    Settlements quotaSettlements(QuotaLedger ledger, QuotaProperties properties, MeterRegistry registry) {
        return new Settlements(ledger, properties, registry);
    }

    /** Closed on shutdown before the settlements drain, so that what its blocks hold goes back. */
    @Bean(destroyMethod = "close")
    QuotaBlocks quotaBlocks(QuotaLedger ledger, Settlements settlements, QuotaProperties properties) {
        return new QuotaBlocks(ledger, settlements, properties.blocks(), Schedulers.parallel());
    }

    @Bean
    DailyQuota dailyQuota(QuotaLedger ledger, QuotaBlocks blocks, QuotaProperties properties, MeterRegistry registry) {
        return new DailyQuota(ledger, blocks, properties, Clock.systemUTC(), registry);
    }
}
