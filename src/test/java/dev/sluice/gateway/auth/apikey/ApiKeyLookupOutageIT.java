package dev.sluice.gateway.auth.apikey;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;

import dev.sluice.gateway.auth.AuthProperties;
import dev.sluice.gateway.testing.CuttableProxy;
import dev.sluice.gateway.testing.ExternalServices;
import io.r2dbc.spi.ConnectionFactories;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key lookup the database cannot answer, cut off or silent, fails within the lookup timeout as a data-access
 * failure (which the security chain turns into a 503), rather than waiting on the pool or passing as "unknown".
 */
class ApiKeyLookupOutageIT {

    private static final String KEY = ApiKeys.PREFIX + "B".repeat(43);

    @Test
    void aDatabaseThatNeverAnswersFailsTheLookupWithinItsTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ApiKeys keys = keys(silent.getLocalPort(), Duration.ofMillis(500));

            StepVerifier.create(keys.authenticate(KEY))
                    .expectErrorSatisfies(failure -> assertThat(failure).isInstanceOf(DataAccessResourceFailureException.class)
                            .hasMessageContaining("did not answer"))
                    .verify(Duration.ofSeconds(5));
        }
    }

    @Test
    void aDatabaseThatIsCutOffFailsTheLookupAsADataAccessFailureAndItIsNotRememberedAsUnknown() throws Exception {
        URI direct = URI.create(ExternalServices.get().postgresUrl());
        try (CuttableProxy proxy = new CuttableProxy(direct.getHost(), direct.getPort())) {
            // Generous: each lookup here opens a connection of its own, on a busy test machine.
            ApiKeys keys = keys(proxy.port(), Duration.ofSeconds(10));
            StepVerifier.create(keys.authenticate(KEY)).verifyComplete();
            String other = ApiKeys.PREFIX + "C".repeat(43);
            proxy.cut();

            StepVerifier.create(keys.authenticate(other))
                    .expectError(DataAccessException.class)
                    .verify(Duration.ofSeconds(15));
            proxy.restore();
            StepVerifier.create(keys.authenticate(other)).as("asked again once the database is back").verifyComplete();
        }
    }

    private static ApiKeys keys(int port, Duration lookupTimeout) throws Exception {
        URI direct = URI.create(ExternalServices.get().postgresUrl());
        String url = ExternalServices.get().r2dbcUrl()
                .replace("@" + direct.getHost() + ":" + direct.getPort() + "/", "@127.0.0.1:" + port + "/");
        AuthProperties properties = new AuthProperties(false, null, "sluice", Duration.ofHours(1),
                AuthProperties.Registration.OPEN, null, Duration.ofDays(7), lookupTimeout, 4, null);
        return new ApiKeys(DatabaseClient.create(ConnectionFactories.get(url + "?connectTimeout=PT2S")), properties);
    }
}
