package dev.sluice.gateway.auth;

import dev.sluice.gateway.SluiceApplication;
import dev.sluice.gateway.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * In prod the gateway refuses to start without a JWT secret of at least 32 bytes that is not a placeholder
 * ({@link JwtSecretsTests} has the rules), and with anonymous access on.
 */
class ProductionSecretTests {

    @Test
    void prodWithoutASecretDoesNotStart() {
        assertThatThrownBy(() -> start("--spring.profiles.active=prod"))
                .rootCause().isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("sluice.auth.jwt-secret: is required in prod");
    }

    @Test
    void aShortSecretDoesNotStart() {
        assertThatThrownBy(() -> start("--spring.profiles.active=prod", "--sluice.auth.jwt-secret=too-short"))
                .rootCause().isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("sluice.auth.jwt-secret: must be at least 32 bytes long (it is 9)");
    }

    @Test
    void theShippedPlaceholderSecretDoesNotStart() {
        assertThatThrownBy(() -> start("--spring.profiles.active=prod",
                "--sluice.auth.jwt-secret=change-me-to-at-least-32-bytes-of-randomness"))
                .rootCause().isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("sluice.auth.jwt-secret: is the placeholder").hasMessageContaining("openssl rand -base64 48");
    }

    @Test
    void anonymousAccessInProdDoesNotStart() {
        assertThatThrownBy(() -> start("--spring.profiles.active=prod", "--sluice.auth.anonymous=true",
                "--sluice.auth.jwt-secret=q0Vb3kE4mZ8w1tXyLr7uPn5sHa2cJf9dGi6oKe+/ABCDxyz0123456789abcdEF"))
                .rootCause().isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("sluice.auth.anonymous: must be false in prod");
    }

    @Test
    void theShippedPlaceholderAdminPasswordDoesNotStart() {
        assertThatThrownBy(() -> start("--sluice.auth.bootstrap-admin.email=ops@your-company.example",
                "--sluice.auth.bootstrap-admin.password=change-me-to-a-long-password"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("sluice.auth.bootstrap-admin.password: is the placeholder");
    }

    private static void start(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "--server.port=0";
        System.arraycopy(args, 0, all, 1, args.length);
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SluiceApplication.class).run(all)) {
            assertThat(context).as("the application should not have started").isNull();
        }
    }
}
