package dev.sluice.gateway.status;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * What is known about one provider: its circuit breaker, the newest checks, and the last probe (kept
 * apart because heavy traffic can push every probe out of the history). Live outcomes are the breaker's
 * own events: the router reports each call's first token and each upstream fault to it, so listening
 * there sees exactly what routing sees.
 * <p>
 * The rules: <b>down</b> while the circuit is open, or when the last probe failed and nothing has
 * succeeded since; <b>degraded</b> while the circuit is half open, when at least {@value #MIN_RECENT_FAILURES}
 * checks and the configured share of checks failed within the recent window, or when the last probe was
 * slow; <b>up</b> otherwise, including when nothing is known yet.
 */
final class ProviderHealth {

    /** The median is taken over at most this many of the newest samples. */
    static final int LATENCY_SAMPLES = 100;
    /** One failure among a handful of checks is a blip, not a trend. */
    static final int MIN_RECENT_FAILURES = 2;

    private final String name;
    private final CircuitBreaker breaker;
    private final StatusProperties rules;
    private final Clock clock;
    private final CheckHistory history;
    private volatile Check lastProbe;

    private ProviderHealth(String name, CircuitBreaker breaker, StatusProperties rules, Clock clock) {
        this.name = name;
        this.breaker = breaker;
        this.rules = rules;
        this.clock = clock;
        this.history = new CheckHistory(rules.historySize());
    }

    /** A provider's health, fed from now on by its breaker's success and error events. */
    static ProviderHealth watching(String name, CircuitBreaker breaker, StatusProperties rules, Clock clock) {
        ProviderHealth health = new ProviderHealth(name, breaker, rules, clock);
        breaker.getEventPublisher()
                .onSuccess(event -> health.recordLive(true, event.getElapsedDuration()))
                .onError(event -> health.recordLive(false, event.getElapsedDuration()));
        return health;
    }

    String name() {
        return name;
    }

    void recordProbe(boolean reachable, Duration latency) {
        lastProbe = history.add(clock.millis(), Check.Source.PROBE, reachable, latency.toNanos());
    }

    /** The last probe, or {@code null} before the first. */
    Check lastProbe() {
        return lastProbe;
    }

    private void recordLive(boolean ok, Duration latency) {
        history.add(clock.millis(), Check.Source.LIVE, ok, latency.toNanos());
    }

    ProviderStatus status() {
        long now = clock.millis();
        List<Check> checks = history.newestFirst();
        CircuitState circuit = CircuitState.of(breaker.getState());
        Instant lastChecked = checks.isEmpty() ? null : Instant.ofEpochMilli(newestTime(checks));
        return new ProviderStatus(name, availability(circuit, checks, now), circuit, uptimePct(checks, now),
                latencyP50Ms(checks, now), lastChecked);
    }

    private Availability availability(CircuitState circuit, List<Check> checks, long now) {
        Check probe = lastProbe;
        if (circuit == CircuitState.OPEN || (probe != null && !probe.ok() && !succeededAfter(checks, probe))) {
            return Availability.DOWN;
        }
        boolean slowProbe = probe != null && probe.ok() && probe.latencyNanos() > rules.slowProbe().toNanos();
        if (circuit == CircuitState.HALF_OPEN || failingOften(checks, now) || slowProbe) {
            return Availability.DEGRADED;
        }
        return Availability.UP;
    }

    private static boolean succeededAfter(List<Check> newestFirst, Check probe) {
        for (Check check : newestFirst) {
            if (check.sequence() <= probe.sequence()) {
                return false;
            }
            if (check.ok()) {
                return true;
            }
        }
        return false;
    }

    private boolean failingOften(List<Check> checks, long now) {
        long since = now - rules.recentWindow().toMillis();
        int recent = 0;
        int failed = 0;
        for (Check check : checks) {
            if (check.atMillis() >= since) {
                recent++;
                failed += check.ok() ? 0 : 1;
            }
        }
        return failed >= MIN_RECENT_FAILURES && failed >= rules.degradedFailureRate() * recent;
    }

    private double uptimePct(List<Check> checks, long now) {
        long since = now - rules.uptimeWindow().toMillis();
        int counted = 0;
        int ok = 0;
        for (Check check : checks) {
            if (check.atMillis() >= since) {
                counted++;
                ok += check.ok() ? 1 : 0;
            }
        }
        return counted == 0 ? 100.0 : Math.round(10_000.0 * ok / counted) / 100.0;
    }

    /** Live times to first token when there are any in the window (they are what callers wait for), else probes. */
    private Long latencyP50Ms(List<Check> checks, long now) {
        Long live = medianMs(checks, Check.Source.LIVE, now - rules.uptimeWindow().toMillis());
        return live != null ? live : medianMs(checks, Check.Source.PROBE, now - rules.uptimeWindow().toMillis());
    }

    /** The nearest-rank median of the newest successful samples from {@code source}, in whole milliseconds. */
    private static Long medianMs(List<Check> newestFirst, Check.Source source, long since) {
        long[] samples = new long[LATENCY_SAMPLES];
        int count = 0;
        for (Check check : newestFirst) {
            if (count == LATENCY_SAMPLES) {
                break;
            }
            // A failed check's duration is how long it took to fail, not a latency anyone was served with.
            if (check.source() == source && check.ok() && check.atMillis() >= since) {
                samples[count++] = check.latencyNanos();
            }
        }
        if (count == 0) {
            return null;
        }
        Arrays.sort(samples, 0, count);
        return Math.round(samples[(count - 1) / 2] / 1_000_000.0);
    }

    private static long newestTime(List<Check> checks) {
        long newest = Long.MIN_VALUE;
        for (Check check : checks) {
            newest = Math.max(newest, check.atMillis());
        }
        return newest;
    }
}
