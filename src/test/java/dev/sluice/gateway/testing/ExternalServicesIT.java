package dev.sluice.gateway.testing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The integration tests' real services are there; without them the build fails instead of skipping. */
class ExternalServicesIT {

    @Test
    void postgresAndRedisAreReachable() {
        ExternalServices services = ExternalServices.get();

        assertThat(services.r2dbcUrl()).startsWith("r2dbc:postgresql://");
        assertThat(services.redisUrl()).startsWith("redis://");
    }
}
