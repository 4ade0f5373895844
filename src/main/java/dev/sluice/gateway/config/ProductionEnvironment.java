package dev.sluice.gateway.config;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Platform-style {@code DATABASE_URL} ({@code postgres://user:password@host:5432/db}) and {@code REDIS_URL}
 * switch Sluice to production: the {@code prod} profile, and the Spring properties those URLs stand for.
 * Properties set explicitly (environment, command line) still win. Runs before the configuration files
 * are read, so that {@code application-prod.yml} applies.
 */
public class ProductionEnvironment implements EnvironmentPostProcessor, Ordered {

    static final String DATABASE_URL = "DATABASE_URL";
    static final String REDIS_URL = "REDIS_URL";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String database = environment.getProperty(DATABASE_URL);
        String redis = environment.getProperty(REDIS_URL);
        if (isBlank(database) && isBlank(redis)) {
            return;
        }
        Map<String, Object> derived = new HashMap<>();
        if (!isBlank(database)) {
            derived.putAll(databaseProperties(database));
        }
        if (!isBlank(redis)) {
            derived.put("spring.data.redis.url", redis);
        }
        environment.getPropertySources().addLast(new MapPropertySource("sluice-platform-urls", derived));
        if (!environment.matchesProfiles("prod")) {
            environment.addActiveProfile("prod");
        }
    }

    /** {@code postgres[ql]://user:password@host:port/database?params} as R2DBC and Flyway (JDBC) settings. */
    public static Map<String, Object> databaseProperties(String url) {
        URI uri = URI.create(url);
        String scheme = uri.getScheme();
        if (!"postgres".equals(scheme) && !"postgresql".equals(scheme)) {
            throw new InvalidConfigurationException(DATABASE_URL, "must be a postgres:// URL, e.g. postgres://sluice:secret@db:5432/sluice");
        }
        String hostPortDatabase = uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 5432) + uri.getPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        Map<String, Object> properties = new HashMap<>();
        properties.put("spring.r2dbc.url", "r2dbc:postgresql://" + hostPortDatabase);
        properties.put("spring.flyway.url", "jdbc:postgresql://" + hostPortDatabase);
        // The raw form, decoded once here: getUserInfo() decodes already, and a second pass would turn "%25" into
        // an error and "+" into a space.
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            String user = percentDecoded(colon < 0 ? userInfo : userInfo.substring(0, colon));
            properties.put("spring.r2dbc.username", user);
            properties.put("spring.flyway.user", user);
            if (colon >= 0) {
                String password = percentDecoded(userInfo.substring(colon + 1));
                properties.put("spring.r2dbc.password", password);
                properties.put("spring.flyway.password", password);
            }
        }
        return properties;
    }

    /** RFC 3986 percent-decoding; unlike form decoding, a {@code +} stays a plus. */
    private static String percentDecoded(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    @Override
    public int getOrder() {
        // Before ConfigDataEnvironmentPostProcessor (HIGHEST_PRECEDENCE + 10) reads the profile-specific files.
        return Ordered.HIGHEST_PRECEDENCE + 5;
    }
}
