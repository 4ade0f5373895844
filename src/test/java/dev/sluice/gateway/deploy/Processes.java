package dev.sluice.gateway.deploy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping child processes for certain, so that no test leaves one behind. */
final class Processes {

    private Processes() {
    }

    /** SIGTERM, then SIGKILL for the process and whatever it started once {@code grace} has passed. */
    static void stop(Process process, Duration grace) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
