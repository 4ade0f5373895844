package dev.sluice.gateway.deploy;

import dev.sluice.gateway.testing.IntegrationTest;
import org.junit.jupiter.api.Test;

/** Every path the deployment files probe or scrape (DeploymentFilesTests.PROBE_PATHS) answers 200 on a running gateway. */
class DeploymentProbesIT extends IntegrationTest {

    @Test
    void everyProbeAndScrapePathOfTheDeploymentFilesAnswers() {
        for (String path : DeploymentFilesTests.PROBE_PATHS) {
            web.get().uri(path).exchange().expectStatus().isOk();
        }
    }
}
