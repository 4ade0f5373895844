package dev.sluice.gateway.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.stereotype.Component;

/**
 * {@code sluice.gateway.overhead}: the time each routed request spent in the gateway itself, upstream waiting
 * excluded, whatever API it came through (what {@code X-Sluice-Overhead-Ms} says of one response).
 */
@Component
public class GatewayOverhead {

    private final Timer timer;

    public GatewayOverhead(MeterRegistry registry) {
        this.timer = Timer.builder("sluice.gateway.overhead")
                .description("Time a routed request spent in the gateway itself, upstream waiting excluded")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(1))
                .register(registry);
    }

    /** The request of {@code tally} has ended: its time counts if it was routed (not answered by the cache). */
    public void record(RoutingTally tally) {
        if (tally.wasRouted()) {
            timer.record(tally.overheadNanos(), TimeUnit.NANOSECONDS);
        }
    }
}
