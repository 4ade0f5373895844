package dev.sluice.gateway.ratelimit;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.testing.ExternalServices;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * One gateway instance on a random port, on the test PostgreSQL, with its settings as command-line
 * arguments (which outrank application.yml, as a deployment's would). Replicas share the access-token
 * secret, so a token issued by one is good on all.
 */
final class Replica implements AutoCloseable {

    private static final String JWT_SECRET = "rate-limit-test-secret-of-at-least-32-bytes";

    private final ConfigurableApplicationContext context;

    private Replica(ConfigurableApplicationContext context) {
        this.context = context;
    }

    static Replica start(String redisUrl, String... settings) {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--spring.data.redis.url=" + redisUrl,
                "--sluice.auth.jwt-secret=" + JWT_SECRET, "--sluice.status.probe-interval=0s"));
        ExternalServices.get().springProperties().forEach((name, value) -> {
            if (!name.startsWith("spring.data.redis.")) {
                args.add("--" + name + "=" + value);
            }
        });
        args.addAll(List.of(settings));
        return new Replica(new SpringApplicationBuilder(SluiceApplication.class).run(args.toArray(String[]::new)));
    }

    String baseUrl() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    WebTestClient web() {
        return WebTestClient.bindToServer().baseUrl(baseUrl()).build();
    }

    WebClient client() {
        return WebClient.create(baseUrl());
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    @Override
    public void close() {
        context.close();
    }
}
