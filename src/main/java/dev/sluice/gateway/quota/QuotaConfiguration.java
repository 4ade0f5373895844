package dev.sluice.gateway.quota;

import java.time.Clock;

import dev.sluice.gateway.config.ShutdownOrder;
import dev.sluice.gateway.config.ShutdownStep;
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

    @Bean
    Settlements quotaSettlements(QuotaLedger ledger, QuotaProperties properties, MeterRegistry registry) {
        return new Settlements(ledger, properties, registry);
    }

    @Bean
    QuotaBlocks quotaBlocks(QuotaLedger ledger, Settlements settlements, QuotaProperties properties) {
        return new QuotaBlocks(ledger, settlements, properties.blocks(), Schedulers.parallel());
    }

    /** On shutdown the replica's blocks go back (what they hold and was not spent), then the settlements are waited for. */
    @Bean
    ShutdownStep quotaDrain(QuotaBlocks blocks, Settlements settlements) {
        return new ShutdownStep(ShutdownOrder.WRITE_BEHIND, () -> {
            blocks.close();
            settlements.drain();
        });
    }

    @Bean
    DailyQuota dailyQuota(QuotaLedger ledger, QuotaBlocks blocks, QuotaProperties properties, MeterRegistry registry) {
        return new DailyQuota(ledger, blocks, properties, Clock.systemUTC(), registry);
    }
}
