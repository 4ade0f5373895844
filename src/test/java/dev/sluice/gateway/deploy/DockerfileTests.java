package dev.sluice.gateway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image's Dockerfile, parsed (there is no Docker engine to build it here): Java 17 bytecode built on JDK 17 and
 * run on a Java 25 JRE; an ahead-of-time cache trained on served chats with the very JVM options the entrypoint
 * runs with, since the JVM ignores a cache made under other ones; every file copied from the build context present
 * and let through by {@code .dockerignore}. {@code bench/cold-start.sh} runs the training and measures what it buys.
 */
class DockerfileTests {

    private static final Pattern MAJOR = Pattern.compile("eclipse-temurin:(\\d+)-(jdk|jre)(-[a-z]+)?");

    @Test
    void jarBuiltAsJava17BytecodeRunsOnJava25() throws IOException {
        Dockerfile dockerfile = Dockerfile.read();
        Matcher build = MAJOR.matcher(dockerfile.stage("build").image());
        assertThat(build.matches()).as("the build stage is a Temurin JDK: " + dockerfile.stage("build").image()).isTrue();
        assertThat(build.group(1)).as("built with the JDK 17 toolchain").isEqualTo("17");
        assertThat(Files.readString(Path.of("pom.xml"))).as("bytecode stays Java 17").contains("<java.version>17</java.version>");
        assertThat(dockerfile.stage("build").run("javac")).as("the training's fake and load client as well").contains("--release 17");

        Matcher runtime = MAJOR.matcher(dockerfile.stage("runtime").image());
        assertThat(runtime.matches()).as("the runtime is a Temurin JRE: " + dockerfile.stage("runtime").image()).isTrue();
        assertThat(runtime.group(2)).isEqualTo("jre");
        assertThat(Integer.parseInt(runtime.group(1))).as("Java 25 or later: AOT cache with method profiles (JEP 515)")
                .isGreaterThanOrEqualTo(25);
        assertThat(dockerfile.stage("training").image()).as("trained on the very JVM and jars the image ships").isEqualTo("runtime");
        assertThat(dockerfile.last().image()).isEqualTo("runtime");
    }

    @Test
    void entrypointRunsTheExtractedJarWithTheTrainedCacheAndTheSharedOptions() {
        Dockerfile dockerfile = Dockerfile.read();
        Stage image = dockerfile.last();
        List<String> entrypoint = image.entrypoint();
        assertThat(entrypoint).startsWith("java", "@" + Dockerfile.OPTIONS).endsWith("-jar", "/app/app.jar");
        assertThat(entrypoint).contains("-XX:AOTCache=" + Dockerfile.CACHE);
        assertThat(image.instructions()).as("the cache comes from the training stage")
                .contains("COPY --from=training " + Dockerfile.CACHE + " " + Dockerfile.CACHE);
        assertThat(dockerfile.stage("runtime").heredoc(Dockerfile.OPTIONS)).as("the options file is in the image").isNotEmpty();
        assertThat(image.instructions()).anyMatch(instruction -> instruction.matches("USER \\d+:\\d+"));
    }

    @Test
    void cacheIsTrainedOnServedChatsWithTheOptionsTheImageRunsWith() {
        Dockerfile dockerfile = Dockerfile.read();
        String run = dockerfile.stage("training").run("aot-train.sh");
        List<String> arguments = Arrays.asList(run.substring(run.indexOf("aot-train.sh") + "aot-train.sh".length()).trim().split("\\s+"));
        assertThat(arguments).as("output, jar, then the image's options").startsWith(Dockerfile.CACHE, "/app/app.jar", "@" + Dockerfile.OPTIONS);
        // The build has no memory limit: a heap of the host's share could exceed 32 GB, turn compressed pointers off and
        // so make a cache the container's JVM refuses. Heap sizes are the only options the training may add.
        for (String extra : arguments.subList(3, arguments.size())) {
            Matcher heap = Pattern.compile("-Xm[sx](\\d+)([mg])").matcher(extra);
            assertThat(heap.matches()).as("the training adds only a heap size, got " + extra).isTrue();
            long megabytes = Long.parseLong(heap.group(1)) * (heap.group(2).equals("g") ? 1024 : 1);
            assertThat(megabytes).as(extra + ": compressed pointers on, as in a container").isLessThan(32 * 1024);
        }
        assertThat(arguments).as("the training fixes the heap below 32 GB").anyMatch(argument -> argument.startsWith("-Xmx"));
        assertThat(run).as("production mode: PostgreSQL and Redis of the training stage")
                .contains("DATABASE_URL=postgres://", "REDIS_URL=redis://");
    }

    @Test
    void theTrainingStartsTheGatewayFromTheJarWithNothingButTheStagesEnvironment() throws Exception {
        Path logs = Files.createTempDirectory("training-logs");
        // bench/lib.sh's gateway start as aot-train.sh calls it in the training stage: CP and GATEWAY_JAR set, no
        // GW_CP (the benchmarks' classpath of the gateway); echo in place of java prints the command it would run.
        ProcessBuilder training = new ProcessBuilder("bash", "-c", "set -euo pipefail; source bench/lib.sh; "
                + "GATEWAY_JAR=/app/app.jar start_gateway 0 gateway.log '{}' || true")
                .redirectErrorStream(true);
        Map<String, String> environment = training.environment();
        environment.remove("GW_CP");
        environment.put("CP", "/train/classes:/app/lib/*");
        environment.put("JAVA", "echo");
        environment.put("LOG_DIR", logs.toString());
        environment.put("DATABASE_URL", "postgres://postgres:training@127.0.0.1:1/postgres");
        environment.put("REDIS_URL", "redis://127.0.0.1:1");
        Process process = training.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("set -u in the scripts: no variable the stage does not set").doesNotContain("unbound variable");
        assertThat(Files.readString(logs.resolve("gateway.log"))).contains("-jar /app/app.jar --server.port=0");
    }

    @Test
    void jvmOptionsNameTheCollectorSizeTheHeapToTheContainerAndAddCompilerThreads() {
        List<String> options = Dockerfile.read().stage("runtime").heredoc(Dockerfile.OPTIONS);
        assertThat(options).filteredOn(option -> option.matches("-XX:\\+Use\\w+GC")).as("a collector by name: the JVM's own"
                + " choice depends on the container's limits (SerialGC under 2 CPUs or 1792 MB), and the cache holds for one")
                .containsExactly("-XX:+UseG1GC");
        assertThat(options).anyMatch(option -> option.startsWith("-XX:MaxRAMPercentage="))
                .as("a heap from the container's limit, not a fixed one").noneMatch(option -> option.startsWith("-Xmx"))
                .as("a small initial heap: resident memory grows with what is used")
                .noneMatch(option -> option.startsWith("-Xms") || option.startsWith("-XX:InitialRAMPercentage"))
                .contains("-XX:+ExitOnOutOfMemoryError")
                .as("C1 alone would cap throughput").noneMatch(option -> option.startsWith("-XX:TieredStopAtLevel"))
                .as("more compiler threads than a 2-CPU container's two: a replica added under load warms up in seconds")
                .contains("-XX:CICompilerCount=4");
    }

    @Test
    void composeAndKubernetesAddNoOptionThatWouldVoidTheCache() {
        Pattern voiding = Pattern.compile("-XX:[+-](Use\\w+GC|UseCompactObjectHeaders|UseCompressedOops)\\b");
        for (Map<String, String> environment : List.of(DeploymentFilesTests.kubernetesEnvironment(),
                DeploymentFilesTests.composeGatewayEnvironment())) {
            for (String variable : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
                assertThat(environment.getOrDefault(variable, "")).as(variable + ": the cache holds for the image's collector and"
                        + " object layout only").doesNotContainPattern(voiding);
            }
        }
    }

    @Test
    void everyFileCopiedFromTheBuildContextExistsAndIsNotDockerignored() throws IOException {
        List<String> ignore = Files.readAllLines(Path.of(".dockerignore")).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        List<String> sources = new ArrayList<>();
        for (Stage stage : Dockerfile.read().stages()) {
            for (String instruction : stage.instructions()) {
                if (instruction.startsWith("COPY ") && !instruction.contains("--from=") && !instruction.contains("<<")) {
                    List<String> parts = Arrays.asList(instruction.split("\\s+"));
                    sources.addAll(parts.subList(1, parts.size() - 1));
                }
            }
        }
        sources.addAll(Arrays.stream(Dockerfile.read().stage("build").run("javac").split("\\s+"))
                .filter(word -> word.endsWith(".java")).toList());
        assertThat(sources).contains("bench/aot-train.sh", "bench/lib.sh");
        for (String source : sources) {
            assertThat(Path.of(source)).as("copied into the image").exists();
            assertThat(included(ignore, source)).as(source + " passes .dockerignore").isTrue();
        }
    }

    /** .dockerignore as this project writes it: later lines win; "*" ignores all; "!path" or "!dir/" lets it back in. */
    private static boolean included(List<String> patterns, String path) {
        boolean included = true;
        for (String pattern : patterns) {
            boolean negated = pattern.startsWith("!");
            String body = (negated ? pattern.substring(1) : pattern).replaceAll("/$", "");
            assertThat(body).as(".dockerignore pattern this test reads").matches("\\*|[\\w./-]+");
            String file = path.replaceAll("/$", "");
            if (body.equals("*") || file.equals(body) || file.startsWith(body + "/")) {
                included = negated;
            }
        }
        return included;
    }

    /** One stage: its base image, its name, and its instructions with continuation lines joined and comments gone. */
    record Stage(String image, String name, List<String> instructions, List<List<String>> heredocs) {

        /** The stage's only RUN instruction that contains the word. */
        String run(String word) {
            List<String> runs = instructions.stream().filter(line -> line.startsWith("RUN ") && line.contains(word)).toList();
            assertThat(runs).as("one RUN with " + word + " in stage " + name).hasSize(1);
            return runs.get(0);
        }

        /** The lines of the file a {@code COPY <<EOF destination} writes. */
        List<String> heredoc(String destination) {
            for (int i = 0; i < instructions.size(); i++) {
                if (instructions.get(i).matches("COPY <<\\w+ " + Pattern.quote(destination))) {
                    return heredocs.get(i);
                }
            }
            throw new AssertionError("no COPY <<EOF " + destination + " in stage " + name);
        }

        List<String> entrypoint() {
            List<String> entrypoints = instructions.stream().filter(line -> line.startsWith("ENTRYPOINT ")).toList();
            assertThat(entrypoints).hasSize(1);
            return Arrays.asList(JsonMapper.builder().build().readValue(entrypoints.get(0).substring("ENTRYPOINT ".length()), String[].class));
        }
    }

    record Dockerfile(List<Stage> stages) {

        static final String OPTIONS = "/app/jvm.options";
        static final String CACHE = "/app/app.aot";

        static Dockerfile read() {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of("Dockerfile"));
            }
            catch (IOException failure) {
                throw new UncheckedIOException(failure);
            }
            List<Stage> stages = new ArrayList<>();
            Pattern heredoc = Pattern.compile("<<(\\w+)");
            StringBuilder instruction = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.startsWith("#") || (line.isEmpty() && instruction.isEmpty())) {
                    continue;
                }
                instruction.append(instruction.isEmpty() ? "" : " ").append(line.replaceAll("\\\\$", "").strip());
                if (line.endsWith("\\")) {
                    continue;
                }
                String complete = instruction.toString();
                instruction.setLength(0);
                List<String> body = new ArrayList<>();
                Matcher here = heredoc.matcher(complete);
                if (here.find()) {
                    while (!lines.get(++i).equals(here.group(1))) {
                        body.add(lines.get(i));
                    }
                }
                if (complete.startsWith("FROM ")) {
                    String[] words = complete.split("\\s+");
                    stages.add(new Stage(words[1], words.length > 3 ? words[3] : null, new ArrayList<>(), new ArrayList<>()));
                }
                else {
                    assertThat(stages).as("an instruction before the first FROM: " + complete).isNotEmpty();
                    stages.get(stages.size() - 1).instructions().add(complete);
                    stages.get(stages.size() - 1).heredocs().add(body);
                }
            }
            return new Dockerfile(stages);
        }

        Stage stage(String name) {
            return stages.stream().filter(stage -> name.equals(stage.name())).findFirst()
                    .orElseThrow(() -> new AssertionError("no stage " + name + " in the Dockerfile"));
        }

        Stage last() {
            return stages.get(stages.size() - 1);
        }
    }
}
