package dev.sluice.gateway.status;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * Appends each round to {@code provider_status}, one row per provider, and drops rows past the retention.
 * Runs on the probe timer, never on the request path; a database that is down loses those rounds' rows only.
 */
final class DatabaseStatusLog implements ProviderStatusLog {

    private static final Logger log = LoggerFactory.getLogger(DatabaseStatusLog.class);

    private final DatabaseClient database;
    private final StatusProperties properties;
    private final Clock clock;
    private final String replica;
    private volatile boolean failing;

    DatabaseStatusLog(DatabaseClient database, StatusProperties properties, Clock clock, String replica) {
        this.database = database;
        this.properties = properties;
        this.clock = clock;
        this.replica = replica;
    }

    @Override
    public Mono<Void> record(List<ProviderStatus> round) {
        if (round.isEmpty()) {
            return Mono.empty();
        }
        OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
        return insert(round, now)
                .then(database.sql("DELETE FROM provider_status WHERE checked_at < :cutoff")
                        .bind("cutoff", now.minus(properties.retention())).then())
                .doOnSuccess(done -> recovered())
                .onErrorResume(failure -> {
                    if (!failing) {
                        failing = true;
                        log.warn("Provider status is not kept in the database until it answers again: {}", failure.toString());
                    }
                    return Mono.empty();
                });
    }

    private Mono<Void> insert(List<ProviderStatus> round, OffsetDateTime at) {
        StringBuilder sql = new StringBuilder("INSERT INTO provider_status "
                + "(provider, replica, checked_at, status, circuit, uptime_pct, latency_p50_ms) VALUES ");
        for (int i = 0; i < round.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("(:provider").append(i).append(", :replica, :at, :status").append(i)
                    .append(", :circuit").append(i).append(", :uptime").append(i).append(", :latency").append(i).append(')');
        }
        DatabaseClient.GenericExecuteSpec insert = database.sql(sql.toString()).bind("replica", replica).bind("at", at);
        for (int i = 0; i < round.size(); i++) {
            ProviderStatus status = round.get(i);
            insert = insert.bind("provider" + i, status.name())
                    .bind("status" + i, status.status().wire())
                    .bind("circuit" + i, status.circuit().wire())
                    .bind("uptime" + i, status.uptimePct());
            insert = status.latencyP50Ms() == null ? insert.bindNull("latency" + i, Long.class)
                    : insert.bind("latency" + i, status.latencyP50Ms());
        }
        return insert.then();
    }

    private void recovered() {
        if (failing) {
            failing = false;
            log.info("Provider status is kept in the database again");
        }
    }
}
