package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class LoadClientTests {

    private FakeUpstream fake;

    @BeforeEach
    void start() {
        fake = FakeUpstream.start(0, Script.tokens(3));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void classifiesEachWayAStreamCanFail() {
        fake.enqueue(
                Script.tokens(4).dropAfter(1),
                Script.status(500),
                Script.tokens(4).stallAfter(1),
                Script.tokens(3).midStreamError(1, "boom"),
                Script.tokens(2).withoutDone());

        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--concurrency", "1", "--requests", "8",
                "--stall", "1s", "--header", "Authorization: Bearer load-key"));

        assertThat(result.requests()).isEqualTo(8);
        assertThat(result.phase().ok.sum()).as("the 3 default replies").isEqualTo(3);
        assertThat(failures(result)).containsOnly(
                Map.entry("PrematureCloseException", 1L),
                Map.entry("HTTP 500", 1L),
                Map.entry("stalled", 1L),
                Map.entry("error event", 1L),
                Map.entry("no [DONE]", 1L));
        assertThat(result.phase().stalled.sum()).isEqualTo(1);
        assertThat(fake.apiKeys()).as("the --header reaches the server").allMatch("load-key"::equals);
        assertThat(result.row()).startsWith("| run | stream | 1 | 8 | 5 | 1 |");
    }

    @Test
    void measuresTimeToFirstContentAndToTheEnd() {
        fake.defaultScript(Script.tokens(3).firstTokenAfter(Duration.ofMillis(100)).every(Duration.ofMillis(50)));

        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--concurrency", "2", "--requests", "4",
                "--warmup", "2", "--ramp", "0ms"));

        assertThat(result.requests()).as("warm-up requests are not counted").isEqualTo(4);
        assertThat(fake.requests()).isEqualTo(6);
        assertThat(result.phase().failed.sum()).isZero();
        assertThat(result.phase().ttft.getMinValue()).as("µs, after the first-token delay").isGreaterThanOrEqualTo(100_000);
        assertThat(result.phase().total.getMinValue()).as("µs, after the last token").isGreaterThanOrEqualTo(200_000);
        assertThat(result.throughput()).isPositive();
    }

    @Test
    void timesNonStreamingRequestsToTheirWholeReply() {
        fake.defaultScript(Script.tokens(2).firstTokenAfter(Duration.ofMillis(50)));

        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--stream", "false", "--requests", "3"));

        assertThat(result.phase().ok.sum()).isEqualTo(3);
        assertThat(result.phase().ttft.getTotalCount()).as("no first token without a stream").isZero();
        assertThat(result.phase().total.getMinValue()).isGreaterThanOrEqualTo(50_000);
        assertThat(fake.requestBodies().get(0)).as("the same bytes for every request, no request id").isEqualTo(
                "{\"model\":\"bench\",\"stream\":false,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to the benchmark in a few words.\"}]}");
        assertThat(fake.requestBodies()).containsOnly(fake.requestBodies().get(0));
    }

    @Test
    void closesEachStreamAfterTheGivenDataEventsAndLogsTheInstantsByRequestId(@TempDir Path dir) throws IOException {
        // Three pieces, then silence: only the client's close can end these streams.
        fake.defaultScript(Script.tokens(8).stallAfter(3));
        Path log = dir.resolve("closes.tsv");

        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--concurrency", "2", "--requests", "4", "--warmup", "1",
                "--stall", "5s", "--cancel-after-chunks", "3", "--label", "t", "--cancel-log", log.toString()));

        assertThat(result.phase().ok.sum()).as("a closed stream is a success").isEqualTo(4);
        assertThat(result.phase().failed.sum()).isZero();
        assertThat(result.phase().ttft.getTotalCount()).isEqualTo(4);
        await().until(() -> fake.cancelledStreams() == 5);
        await().until(() -> fake.openConnections() == 0);
        assertThat(fake.closedConnections()).as("each close took its connection down").isEqualTo(5);
        assertThat(fake.requestBodies()).as("a fixed-width id in each prompt, the warm-up's included")
                .extracting(Stamp::idIn).containsExactlyInAnyOrder(
                        "t-000000001", "t-000000002", "t-000000003", "t-000000004", "t-000000005");

        List<String> lines = Files.readAllLines(log);
        assertThat(lines).as("the measured closes").hasSize(4).allMatch(line -> line.matches("t-0000000\\d{2}\t\\d{16}"));
        Map<String, Long> closed = lines.stream().map(line -> line.split("\t"))
                .collect(Collectors.toMap(f -> f[0], f -> Long.parseLong(f[1])));
        Map<String, Long> cancelled = fake.cancels().stream()
                .collect(Collectors.toMap(Stamp::id, Stamp::epochMicros));
        assertThat(cancelled).as("the fake saw every close").containsKeys(closed.keySet().toArray(String[]::new));
        closed.forEach((id, at) -> assertThat(cancelled.get(id)).as("%s: cancel after the close, one clock", id)
                .isGreaterThanOrEqualTo(at));
    }

    @Test
    void refusesCancellingWhatCannotBeCancelledOrMarked() {
        assertThatIllegalArgumentException().isThrownBy(
                () -> LoadClient.Options.parse("--stream", "false", "--cancel-after-chunks", "3"));
        assertThatIllegalArgumentException().as("the label goes into a request id").isThrownBy(
                () -> LoadClient.Options.parse("--cancel-after-chunks", "3", "--label", "two words"));
        assertThatIllegalArgumentException().isThrownBy(() -> LoadClient.Options.parse("--cancel-log", "x.tsv"));
    }

    @Test
    void sendsBodilessGetsWithMethodGet() {
        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/models", "--method", "GET", "--requests", "5", "--concurrency", "2",
                "--header", "Authorization: Bearer load-key"));

        assertThat(result.phase().ok.sum()).as("GET /v1/models answers 200").isEqualTo(5);
        assertThat(result.phase().failed.sum()).isZero();
        assertThat(fake.requests()).as("no chat request was sent").isZero();
        assertThat(result.row()).startsWith("| run | GET | 2 | 5 | 0 | 0 |");
    }

    @Test
    void aGetToAChatOnlyPathIsAnError() {
        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--method", "get", "--requests", "2"));

        assertThat(result.phase().ok.sum()).isZero();
        assertThat(result.phase().failed.sum()).as("the fake serves chats to POSTs only").isEqualTo(2);
    }

    @Test
    void warmsUpForAGivenTimeBeforeMeasuring() {
        long start = System.nanoTime();
        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--concurrency", "2", "--requests", "4",
                "--warmup-for", "300ms", "--ramp", "0ms"));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(result.requests()).as("warm-up requests are not counted").isEqualTo(4);
        assertThat(fake.requests()).as("300 ms of replies without pauses").isGreaterThan(10);
        assertThat(result.phase().failed.sum()).isZero();
    }

    @Test
    void warmsUpForAGivenTimeAtItsOwnConcurrency() {
        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--concurrency", "1", "--requests", "3",
                "--warmup-for", "200ms", "--warmup-concurrency", "4"));

        assertThat(result.requests()).isEqualTo(3);
        assertThat(fake.requests()).isGreaterThan(3);
    }

    @Test
    void addsTheCpuOfEveryPidGivenAndNoneWhenOneIsGone() {
        long self = ProcessHandle.current().pid();
        assertThat(LoadClient.Options.parse("--cpu-pid", "12, 34").cpuPids).containsExactly(12, 34);

        LoadClient.Result both = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--requests", "3", "--cpu-pid", self + "," + self));
        LoadClient.Result gone = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--requests", "3", "--cpu-pid", self + ",999999999"));

        assertThat(both.cpuMicrosPerRequest()).isNotNegative();
        assertThat(gone.cpuMicrosPerRequest()).as("unknown, not a partial sum").isNegative();
        assertThat(gone.row()).endsWith("| – |");
    }

    @Test
    void stopsAtTheHardDeadline() {
        fake.defaultScript(Script.tokens(2).stallAfter(1));

        LoadClient.Result result = LoadClient.run(LoadClient.Options.parse(
                "--url", fake.baseUrl() + "/chat/completions", "--requests", "5", "--deadline", "500ms"));

        assertThat(result.deadlineHit()).isTrue();
        assertThat(result.row()).contains("(DEADLINE)");
    }

    private static Map<String, Long> failures(LoadClient.Result result) {
        Map<String, Long> kinds = new TreeMap<>();
        result.phase().failures.forEach((kind, n) -> kinds.put(kind, n.sum()));
        return kinds;
    }
}
