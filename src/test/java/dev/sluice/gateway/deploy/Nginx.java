package dev.sluice.gateway.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assumptions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real nginx binary, running the project's {@code nginx/nginx.conf} as an unprivileged test would: the
 * upstream servers, the listen address and every file path rewritten into a scratch directory, nothing else.
 * Where nginx is missing, the tests that need it are skipped, except under {@code CI=true}, where they fail
 * ({@code .ci/run} installs it).
 */
final class Nginx implements AutoCloseable {

    static final Path CONFIG = Path.of("nginx", "nginx.conf");
    private static final Pattern UPSTREAM_SERVER = Pattern.compile("(?m)^(\\s*)server gateway:8080([^;]*);.*$");
    private static final Pattern LISTEN = Pattern.compile("(?m)^(\\s*)listen 8080;.*$");
    private static final Pattern ACCESS_LOG = Pattern.compile("/var/log/nginx/access\\.log");
    private static final Pattern HTTP_BLOCK = Pattern.compile("(?m)^http \\{$");

    private final Process process;
    private final Path directory;

    private Nginx(Process process, Path directory) {
        this.process = process;
        this.directory = directory;
    }

    /** The nginx executable: {@code SLUICE_TEST_NGINX}, else the first on the PATH or in the usual sbin folders. */
    static Path binary() {
        String configured = System.getenv("SLUICE_TEST_NGINX");
        List<String> folders = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        folders.addAll(List.of("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin", "/opt/homebrew/bin"));
        Path found = configured != null && !configured.isBlank() ? Path.of(configured)
                : folders.stream().filter(folder -> !folder.isBlank()).map(folder -> Path.of(folder, "nginx"))
                        .filter(Files::isExecutable).findFirst().orElse(null);
        boolean present = found != null && Files.isExecutable(found);
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException("nginx is not installed (CI=true: the nginx tests must run). "
                    + "Install it (apt-get install -y nginx-light) or set SLUICE_TEST_NGINX; .ci/run does the former");
        }
        Assumptions.assumeTrue(present, "nginx is not installed; CI installs it (see .ci/run)");
        return found;
    }

    /** {@code nginx/nginx.conf} with the test's upstream ports, listen port and paths; fails if the file no longer has the lines it rewrites. */
    static String render(List<Integer> gatewayPorts, int listenPort, Path directory) throws IOException {
        String config = Files.readString(CONFIG, StandardCharsets.UTF_8);
        Matcher server = UPSTREAM_SERVER.matcher(config);
        assertThat(server.find()).as("nginx/nginx.conf has the line 'server gateway:8080 ...;' in its upstream").isTrue();
        String indent = server.group(1);
        String parameters = server.group(2);
        String servers = gatewayPorts.stream().map(port -> indent + "server 127.0.0.1:" + port + parameters + ";")
                .collect(Collectors.joining("\n"));
        config = replaceOnce(UPSTREAM_SERVER, config, servers, "server gateway:8080");
        config = replaceOnce(LISTEN, config, "$1listen 127.0.0.1:" + listenPort + ";", "listen 8080;");
        config = replaceOnce(ACCESS_LOG, config, directory.resolve("access.log").toString(), "/var/log/nginx/access.log");
        String temp = List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi").stream()
                .map(kind -> "    " + kind + "_temp_path " + directory.resolve(kind + "_temp") + ";")
                .collect(Collectors.joining("\n"));
        return replaceOnce(HTTP_BLOCK, config, "http {\n" + temp, "http {");
    }

    private static String replaceOnce(Pattern pattern, String text, String replacement, String what) {
        Matcher matcher = pattern.matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        assertThat(count).as("nginx/nginx.conf has '" + what + "' exactly once (the test rewrites it)").isEqualTo(1);
        return pattern.matcher(text).replaceFirst(Matcher.quoteReplacement(replacement).replace("\\$1", "$1"));
    }

    /** The command line that runs {@code config} from {@code directory}, writing nothing outside it. */
    static List<String> command(Path binary, Path directory, Path config, String... extra) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "-p", directory.toString(),
                "-e", directory.resolve("error.log").toString(), "-c", config.toString(),
                "-g", "pid " + directory.resolve("nginx.pid") + "; daemon off;"));
        command.addAll(List.of(extra));
        return command;
    }

    /** {@code nginx -t}: the exit status and everything nginx said. */
    static Result check(Path binary, Path directory, Path config) throws IOException, InterruptedException {
        Process check = new ProcessBuilder(command(binary, directory, config, "-t")).redirectErrorStream(true).start();
        boolean exited = check.waitFor(30, TimeUnit.SECONDS);
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            check.destroyForcibly();
            return new Result(-1, output + " (timed out)");
        }
        return new Result(check.exitValue(), output);
    }

    record Result(int exitCode, String output) {
    }

    static Nginx start(Path binary, Path directory, Path config) throws IOException {
        Process process = new ProcessBuilder(command(binary, directory, config))
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("nginx.out").toFile())
                .start();
        return new Nginx(process, directory);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String errorLog() {
        try {
            return Files.readString(directory.resolve("error.log"));
        }
        catch (IOException missing) {
            return "";
        }
    }

    String accessLog() {
        try {
            return Files.readString(directory.resolve("access.log"));
        }
        catch (IOException missing) {
            return "";
        }
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(10));
    }
}
