package dev.sluice.gateway.status;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.sluice.gateway.provider.Provider;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.routing.resilience.ProviderGuards;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Watches every provider: live outcomes from its circuit breaker, plus a probe of each every
 * {@code sluice.status.probe-interval} on Reactor's timer, started and stopped with the application.
 * Each round also tries the keys providers refused, and puts back into rotation those they take again.
 * <p>
 * {@code GET /api/v1/status} reads this replica's memory; after each probe round the statuses are also
 * appended to the {@code provider_status} table, where they outlive the replica.
 */
@Component
public class ProviderStatusMonitor implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ProviderStatusMonitor.class);
    /** Probes of one round run side by side, this many at a time. */
    private static final int PROBE_CONCURRENCY = 8;

    private final Map<String, ProviderHealth> health;
    private final List<ProbeTarget> targets;
    private final List<KeyRecheck> keyChecks;
    private final ProviderProbe probe;
    private final StatusProperties properties;
    private final ProviderStatusLog statusLog;
    private volatile Disposable schedule;
    private volatile boolean running;

    @Autowired
    public ProviderStatusMonitor(ProviderRegistry providers, ProviderGuards guards, StatusProperties properties,
            DatabaseClient database) {
        this(breakers(providers, guards), targets(providers, properties), keyChecks(providers, properties),
                new ProviderProbe(), properties, Clock.systemUTC(),
                new DatabaseStatusLog(database, properties, Clock.systemUTC(), replicaName()));
    }

    ProviderStatusMonitor(Map<String, CircuitBreaker> breakers, List<ProbeTarget> targets, List<KeyRecheck> keyChecks,
            ProviderProbe probe, StatusProperties properties, Clock clock, ProviderStatusLog statusLog) {
        Map<String, ProviderHealth> byName = new TreeMap<>();
        breakers.forEach((name, breaker) -> byName.put(name, ProviderHealth.watching(name, breaker, properties, clock)));
        this.health = Collections.unmodifiableMap(byName);
        this.targets = List.copyOf(targets);
        this.keyChecks = List.copyOf(keyChecks);
        this.probe = probe;
        this.properties = properties;
        this.statusLog = statusLog;
    }

    /** Every provider's status, sorted by name. */
    public List<ProviderStatus> statuses() {
        List<ProviderStatus> statuses = new ArrayList<>(health.size());
        for (ProviderHealth provider : health.values()) {
            statuses.add(provider.status());
        }
        return statuses;
    }

    /**
     * A round of probes at once and then one every interval, each result recorded as it comes; none when
     * probes are off. A round that outlasts the interval makes the next tick be skipped, not queued.
     */
    Flux<ProbeResult> probes() {
        if (!properties.probes() || targets.isEmpty()) {
            return Flux.empty();
        }
        return Flux.interval(Duration.ZERO, properties.probeInterval())
                .onBackpressureDrop()
                .concatMap(tick -> probeRound(), 0);
    }

    /** Probes every provider, tries the keys they refused, then keeps the statuses they lead to. */
    Flux<ProbeResult> probeRound() {
        return Flux.fromIterable(targets)
                .flatMap(target -> probe.probe(target).doOnNext(this::record), PROBE_CONCURRENCY)
                .concatWith(recheckRefusedKeys().then(Mono.empty()))
                .concatWith(Mono.defer(() -> statusLog.record(statuses())).then(Mono.empty()));
    }

    /** Each refused key whose provider answers its model list with a 2xx goes back into rotation. */
    private Flux<Boolean> recheckRefusedKeys() {
        return Flux.fromIterable(keyChecks)
                .flatMapIterable(check -> check.keys().refused().stream().map(key -> Map.entry(check, key)).toList())
                .flatMap(refused -> probe.accepts(refused.getKey(), refused.getValue())
                        .doOnNext(accepted -> {
                            if (accepted) {
                                refused.getKey().keys().restore(refused.getValue());
                            }
                        }), PROBE_CONCURRENCY);
    }

    private void record(ProbeResult result) {
        ProviderHealth provider = health.get(result.provider());
        if (provider == null) {
            return;
        }
        Check previous = provider.lastProbe();
        provider.recordProbe(result.reachable(), result.latency());
        // Log changes only: a provider down for an hour is one line, not a hundred and twenty.
        if (!result.reachable() && (previous == null || previous.ok())) {
            log.warn("Provider '{}' is unreachable: {}", result.provider(), result.failure());
        }
        else if (result.reachable() && previous != null && !previous.ok()) {
            log.info("Provider '{}' is reachable again", result.provider());
        }
    }

    @Override
    public void start() {
        schedule = probes().subscribe(result -> { },
                error -> log.error("Provider probes stopped; /api/v1/status now relies on live calls only", error));
        running = true;
    }

    @Override
    public void stop() {
        Disposable probing = schedule;
        if (probing != null) {
            probing.dispose();
        }
        this.running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** The host name, which is the pod's name on Kubernetes and the container id under Docker. */
    private static String replicaName() {
        String host = System.getenv("HOSTNAME");
        return host == null || host.isBlank() ? "pid-" + ProcessHandle.current().pid() : host;
    }

    private static Map<String, CircuitBreaker> breakers(ProviderRegistry providers, ProviderGuards guards) {
        Map<String, CircuitBreaker> breakers = new TreeMap<>();
        for (Provider provider : providers.all()) {
            breakers.put(provider.name(), guards.of(provider.name()).breaker());
        }
        return breakers;
    }

    private static List<KeyRecheck> keyChecks(ProviderRegistry providers, StatusProperties properties) {
        List<KeyRecheck> checks = new ArrayList<>();
        for (Provider provider : providers.all()) {
            KeyRecheck check = KeyRecheck.of(provider, properties);
            if (check != null) {
                checks.add(check);
            }
        }
        return checks;
    }

    private static List<ProbeTarget> targets(ProviderRegistry providers, StatusProperties properties) {
        List<ProbeTarget> targets = new ArrayList<>();
        for (Provider provider : providers.all()) {
            targets.add(ProbeTarget.of(provider, properties));
        }
        return targets;
    }
}
