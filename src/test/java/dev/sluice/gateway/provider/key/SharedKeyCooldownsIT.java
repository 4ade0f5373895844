package dev.sluice.gateway.provider.key;

import java.time.Duration;
import java.util.List;

import dev.sluice.bench.FakeUpstream;
import dev.sluice.bench.Script;
import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.ExternalServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Replicas sharing one Redis rest a rate-limited key together, including replicas that start later. */
class SharedKeyCooldownsIT {

    private final FakeUpstream upstream = FakeUpstream.start();
    private final ExternalServices services = ExternalServices.get();
    private final List<ConfigurableApplicationContext> replicas = new java.util.ArrayList<>();

    @AfterEach
    void stop() {
        // The 30 s cooldown must not outlive the test: later runs reuse this Redis.
        if (!replicas.isEmpty()) {
            clearCooldowns(replicas.get(0));
        }
        replicas.forEach(ConfigurableApplicationContext::close);
        upstream.close();
    }

    @Test
    void a429OnOneReplicaRestsTheKeyOnEveryReplica() {
        ConfigurableApplicationContext first = replica();
        ConfigurableApplicationContext second = replica();
        clearCooldowns(first);
        upstream.enqueue(Script.status(429).retryAfter(Duration.ofSeconds(30)));

        chat(first);
        assertThat(upstream.apiKeys()).as("key A was rate limited, key B served").containsExactly("key-a", "key-b");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            chat(second);
            assertThat(last(upstream.apiKeys())).as("the other replica rests key A too").isEqualTo("key-b");
        });
        chat(replica());
        assertThat(last(upstream.apiKeys())).as("a replica started later learns the running cooldown").isEqualTo("key-b");
    }

    private ConfigurableApplicationContext replica() {
        // Command-line arguments, which outrank application.yml like a real deployment's settings.
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SluiceApplication.class).run(
                "--server.port=0",
                "--spring.data.redis.url=" + services.redisUrl(),
                // A provider name no other test uses: cooldowns in Redis are keyed by it.
                "--sluice.providers.cooling.type=openai",
                "--sluice.providers.cooling.base-url=" + upstream.baseUrl(),
                "--sluice.providers.cooling.api-keys=key-a,key-b",
                "--sluice.aliases.shared.targets=cooling/m",
                // It chats as the anonymous user, whose daily quota every run of the day spends in the shared
                // database, from 127.0.0.1, whose per-IP budget other tests spend too: neither is under test here.
                "--sluice.quotas.daily-requests=100000000",
                "--sluice.quotas.daily-tokens=100000000000",
                "--sluice.limits.per-ip.requests-per-minute=1000000");
        replicas.add(context);
        return context;
    }

    private static void clearCooldowns(ConfigurableApplicationContext context) {
        ReactiveStringRedisTemplate redis = context.getBean(ReactiveStringRedisTemplate.class);
        redis.keys(SharedKeyCooldowns.PREFIX + "cooling:*").flatMap(redis::delete).blockLast(Duration.ofSeconds(5));
    }

    private static void chat(ConfigurableApplicationContext replica) {
        int port = ((WebServerApplicationContext) replica).getWebServer().getPort();
        WebClient.create("http://127.0.0.1:" + port).post().uri("/v1/chat/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"model\":\"shared\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .retrieve().toBodilessEntity().block(Duration.ofSeconds(10));
    }

    private static String last(List<String> values) {
        return values.get(values.size() - 1);
    }
}
