package dev.sluice.gateway.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.unit.DataSize;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code nginx/nginx.conf}: accepted by {@code nginx -t}, safe for event streams, and consistent with the gateway's settings. */
class NginxConfigTests {

    @TempDir
    Path directory;

    @Test
    void nginxAcceptsTheConfiguration() throws Exception {
        Path binary = Nginx.binary();
        // As shipped but for "gateway", which only resolves inside docker compose, and the paths of an unprivileged run.
        Path config = directory.resolve("nginx.conf");
        Files.writeString(config, Nginx.render(List.of(8080), 18080, directory));
        Nginx.Result result = Nginx.check(binary, directory, config);
        assertThat(result.exitCode()).as("nginx -t:\n" + result.output()).isZero();
        assertThat(result.output()).contains("test is successful");
    }

    @Test
    void streamsPassUnbufferedOverKeptAliveHttp11ConnectionsToTheLeastBusyReplica() throws IOException {
        String config = config();
        String upstream = block(config, "upstream sluice_gateways");
        assertThat(upstream).contains("least_conn;").containsPattern("keepalive \\d+;").contains("zone ");
        String api = block(config, "location /");
        assertThat(api).contains("proxy_pass http://sluice_gateways;", "proxy_http_version 1.1;", "proxy_buffering off;",
                "proxy_cache off;");
        assertThat(api).as("Connection: close would end keep-alive to the gateways")
                .containsPattern("proxy_set_header Connection \\$sluice_connection;");
        assertThat(config).as("no Connection header unless the client upgrades").containsPattern("\"\"\\s+\"\";");
        Duration heartbeat = DurationStyle.detectAndParse(applicationSetting("sluice", "chat", "heartbeat"));
        assertThat(seconds(api, "proxy_read_timeout")).as("a stream idle between heartbeats is never cut")
                .isGreaterThan(4 * heartbeat.toSeconds());
        assertThat(seconds(api, "proxy_send_timeout")).isGreaterThan(4 * heartbeat.toSeconds());
        assertThat(api).as("a chat sent once is never sent again").doesNotContain("non_idempotent");
        assertThat(config).doesNotContainPattern("gzip\\s+on");
    }

    @Test
    void requestSizeLimitMatchesTheGateways() throws IOException {
        String limit = applicationSetting("sluice", "web", "max-body-size");
        assertThat(directive(config(), "client_max_body_size")).as("nginx refuses what the gateway would refuse (" + limit + ")")
                .isEqualTo(nginxSize(limit));
    }

    @Test
    void clientAddressIsForwardedTheWayTheGatewayReadsIt() throws IOException {
        String api = block(config(), "location /");
        // The gateway reads X-Forwarded-For from the right while the hop is a trusted proxy: nginx appends the
        // peer it saw, so that the right-most untrusted address is the client, whatever the client wrote.
        assertThat(api).contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "proxy_set_header X-Request-ID $sluice_request_id;");
        assertThat(block(config(), "location /actuator/")).as("metrics stay inside the network").contains("return 404;");
    }

    /** A Spring {@link DataSize} ("4MB") as nginx writes it ("4m"). */
    static String nginxSize(String springSize) {
        DataSize size = DataSize.parse(springSize);
        long bytes = size.toBytes();
        if (bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + "m";
        }
        return bytes % 1024 == 0 ? bytes / 1024 + "k" : String.valueOf(bytes);
    }

    private static String config() throws IOException {
        return Files.readString(Nginx.CONFIG);
    }

    @SuppressWarnings("unchecked")
    private static String applicationSetting(String... path) throws IOException {
        Object node = new Yaml().loadAll(Files.readString(Path.of("src/main/resources/application.yml"))).iterator().next();
        for (String key : path) {
            node = ((Map<String, Object>) node).get(key);
        }
        return String.valueOf(node);
    }

    /** The text between "{header} {" and its closing brace. */
    private static String block(String config, String header) {
        int start = config.indexOf(header + " {");
        assertThat(start).as("nginx.conf has '" + header + " {'").isNotNegative();
        int depth = 0;
        for (int i = config.indexOf('{', start); i < config.length(); i++) {
            if (config.charAt(i) == '{') {
                depth++;
            }
            else if (config.charAt(i) == '}' && --depth == 0) {
                return config.substring(start, i + 1);
            }
        }
        throw new AssertionError("unbalanced braces after " + header);
    }

    private static String directive(String text, String name) {
        Matcher matcher = Pattern.compile("(?m)^\\s*" + name + "\\s+([^;]+);").matcher(text);
        assertThat(matcher.find()).as(name + " is set").isTrue();
        return matcher.group(1).trim();
    }

    private static long seconds(String text, String name) {
        return DurationStyle.detectAndParse(directive(text, name)).toSeconds();
    }
}
