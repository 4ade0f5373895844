package dev.sluice.gateway.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sluice.gateway.config.InvalidConfigurationException;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** In prod, a JWT secret that anyone could know or guess is refused, with how to make a good one. */
class JwtSecretsTests {

    @Test
    void theSecretsShippedInTheRepositorysExamplesAreRefused() throws IOException {
        Matcher env = Pattern.compile("(?m)^SLUICE_AUTH_JWT_SECRET=(.*)$").matcher(Files.readString(Path.of(".env.example")));
        assertThat(env.find()).as(".env.example sets SLUICE_AUTH_JWT_SECRET").isTrue();
        Map<String, Object> secret = new Yaml().load(Files.readString(Path.of("k8s/secret.example.yaml")));
        @SuppressWarnings("unchecked")
        Object k8s = ((Map<String, Object>) secret.get("stringData")).get("SLUICE_AUTH_JWT_SECRET");

        for (String shipped : new String[] {env.group(1).strip(), String.valueOf(k8s)}) {
            assertThatThrownBy(() -> JwtSecrets.checked(shipped, true)).as(shipped)
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("sluice.auth.jwt-secret")
                    .hasMessageContaining("openssl rand -base64 48");
        }
    }

    @Test
    void placeholdersAndLowEntropySecretsAreRefusedInProd() {
        for (String weak : new String[] {"change-me-to-at-least-32-bytes-of-randomness", "CHANGE-ME please, a real one of 32+",
                "a".repeat(48), "abababababababababababababababababab", "passwordpasswordpasswordpassword",
                "0123456789012345678901234567890123456789", "aaaaaaaabbbbbbbbccccccccdddddddd"}) {
            assertThat(JwtSecrets.problem(weak)).as(weak).isNotNull();
            assertThatThrownBy(() -> JwtSecrets.checked(weak, true)).as(weak).hasMessageContaining("openssl rand -base64 48");
        }
    }

    @Test
    void aRandomSecretIsAcceptedAndTheEmbeddedDefaultOnlyChecksTheLength() {
        assertThat(JwtSecrets.problem("q0Vb3kE4mZ8w1tXyLr7uPn5sHa2cJf9dGi6oKe+/ABCDxyz0123456789abcdEF")).isNull();
        assertThat(JwtSecrets.checked("a".repeat(32), false)).as("not prod: a local secret").hasSize(32);
        assertThatThrownBy(() -> JwtSecrets.checked("too-short", false))
                .hasMessageContaining("must be at least 32 bytes long (it is 9)");
    }
}
