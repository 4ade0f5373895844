package dev.sluice.gateway.ratelimit;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

import static dev.sluice.gateway.ratelimit.TestClients.FORWARDED_FOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A gateway whose Redis is unreachable still limits, per replica: degraded, never wide open, never an outage. */
@ExtendWith(OutputCaptureExtension.class)
class RateLimitFallbackIT {

    private static final int PER_IP = 4;
    private static final int PER_USER = 3;
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    /** Issue 12, point 15: was ~9.5 s after a 10 s outage, while Lettuce's reconnect backoff grew. */
    private static final Duration SHARED_AGAIN_WITHIN = Duration.ofSeconds(3);
    private static final String DEGRADED = "Rate limits are per replica until Redis answers again";

    private Replica replica;
    private CuttableProxy redis;

    @AfterEach
    void stop() throws IOException {
        if (replica != null) {
            replica.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void withRedisRefusingConnectionsLimitsStillApplyLocallyAndNothingFails(CapturedOutput output) {
        replica = Replica.start("redis://127.0.0.1:1", "--sluice.limits.per-ip.requests-per-minute=" + PER_IP,
                "--sluice.limits.per-user.requests-per-minute=" + PER_USER);
        WebTestClient web = replica.web();
        String ip = TestClients.freshIp();
        List<Integer> statuses = new ArrayList<>();

        for (int i = 0; i < PER_IP + 3; i++) {
            WebTestClient.ResponseSpec response = web.get().uri("/v1/models").header(FORWARDED_FOR, ip).exchange();
            response.expectHeader().exists("X-RateLimit-Remaining");
            statuses.add(response.returnResult(Void.class).getStatus().value());
        }
        String token = TestClients.newAccount(web, TestClients.freshIp()).accessToken();
        for (int i = 0; i < PER_USER + 2; i++) {
            statuses.add(web.get().uri("/v1/models").header(FORWARDED_FOR, TestClients.freshIp())
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                    .exchange().returnResult(Void.class).getStatus().value());
        }

        assertThat(statuses).as("per IP: %d allowed then refused; per user: %d allowed then refused", PER_IP, PER_USER)
                .containsExactly(200, 200, 200, 200, 429, 429, 429, 200, 200, 200, 429, 429);
        MeterRegistry meters = replica.bean(MeterRegistry.class);
        assertThat(meters.get("sluice.ratelimit.fallback").counter().count()).as("every decision counted as degraded")
                .isGreaterThanOrEqualTo(statuses.size());
        assertThat(meters.get("sluice.ratelimit.degraded").gauge().value()).isEqualTo(1);
        assertThat(meters.get("sluice.ratelimit.rejected").tag("limit", "per-user").counter().count()).isEqualTo(2);
        assertThat(output.getAll().split(DEGRADED, -1)).as("logged once, not per request").hasSize(2);
    }

    @Test
    void whenRedisGoesAwayMidRunLimitsGoOnLocallyAndAreSharedAgainWithinSecondsOfItsReturn() throws IOException {
        URI direct = URI.create(ExternalServices.get().redisUrl());
        redis = new CuttableProxy(direct.getHost(), direct.getPort());
        replica = Replica.start("redis://127.0.0.1:" + redis.port(), "--sluice.limits.per-ip.requests-per-minute=" + PER_IP,
                "--sluice.limits.per-user.requests-per-minute=1000");
        WebTestClient web = replica.web();
        MeterRegistry meters = replica.bean(MeterRegistry.class);
        String ip = TestClients.freshIp();
        assertThat(status(web, ip)).as("answered from Redis").isEqualTo(200);
        double sharedFallbacks = fallbacks(meters);

        redis.cut();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < PER_IP + 2; i++) {
            statuses.add(status(web, ip));
        }

        assertThat(statuses).as("this replica's own budget of %d, never an error", PER_IP)
                .containsExactly(200, 200, 200, 200, 429, 429);
        assertThat(fallbacks(meters) - sharedFallbacks).as("decided locally").isEqualTo(statuses.size());
        assertThat(meters.get("sluice.ratelimit.degraded").gauge().value()).isEqualTo(1);

        // An outage of some seconds, long enough for reconnect attempts to back off.
        await().during(OUTAGE).atMost(OUTAGE.plusSeconds(5)).until(() -> status(web, TestClients.freshIp()) == 200
                && meters.get("sluice.ratelimit.degraded").gauge().value() == 1);
        redis.restore();
        await().atMost(SHARED_AGAIN_WITHIN).untilAsserted(() -> {
            assertThat(status(web, TestClients.freshIp())).isEqualTo(200);
            assertThat(meters.get("sluice.ratelimit.degraded").gauge().value()).as("back on Redis").isZero();
        });
        double recovered = fallbacks(meters);
        assertThat(remaining(web, ip)).as("the shared budget spent before the cut, in Redis")
                .isBetween(PER_IP - 2, PER_IP - 1);
        assertThat(fallbacks(meters)).as("no longer decided locally").isEqualTo(recovered);
    }

    private static int status(WebTestClient web, String ip) {
        return web.get().uri("/v1/models").header(FORWARDED_FOR, ip).exchange().returnResult(Void.class).getStatus().value();
    }

    private static int remaining(WebTestClient web, String ip) {
        return Integer.parseInt(web.get().uri("/v1/models").header(FORWARDED_FOR, ip).exchange()
                .returnResult(Void.class).getResponseHeaders().getFirst("X-RateLimit-Remaining"));
    }

    private static double fallbacks(MeterRegistry meters) {
        return meters.get("sluice.ratelimit.fallback").counter().count();
    }
}
