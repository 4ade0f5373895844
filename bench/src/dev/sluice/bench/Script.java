package dev.sluice.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link FakeUpstream} answers to one chat request: the pieces of the reply, their pace and how the
 * reply ends. Immutable; every {@code with}-style method returns a copy, so scripts can be shared.
 *
 * <pre>{@code
 * Script.tokens(5).firstTokenAfter(Duration.ofMillis(50)).every(Duration.ofMillis(20))
 * Script.text("Hello", " world").dropAfter(1)
 * Script.status(429).retryAfter(Duration.ofSeconds(3))
 * Script.status(403).errorBody("{\"error\":{\"message\":\"Input flagged\",\"code\":403}}")
 * Script.toolCall("get_weather", "{\"city\":\"Paris\"}")
 * }</pre>
 *
 * @param status HTTP status; anything but 200 answers at once (after {@code firstTokenAfter}) with an
 *        OpenAI-shaped error body and no stream
 * @param tokens content pieces, one streamed chunk each
 * @param toolCall a tool call streamed instead of content, or {@code null}
 * @param firstTokenAfter delay before the first piece (before the whole reply when not streaming)
 * @param every pause between two pieces
 * @param finishReason the {@code finish_reason} of the final chunk
 * @param ending how the reply ends: normally, stalled, dropped, truncated or with an in-stream error
 * @param retryAfter value of the {@code Retry-After} header of an error response, or {@code null}
 * @param errorMessage message of an error response
 * @param errorBody the whole body of an error response, as a vendor would send it, instead of the OpenAI-shaped
 *        one built from {@code errorMessage}; {@code null} for that one
 * @param events {@code data:} payloads streamed verbatim, one chunk each, instead of chunks built from the tokens:
 *        a vendor's own chunks, with whatever fields they have; they carry their own finish and usage, so that a
 *        complete reply ends with {@code [DONE]} alone. Asked for a whole reply, the one payload of a script of one
 *        is the whole body
 */
public record Script(
        int status,
        List<String> tokens,
        ToolCall toolCall,
        Duration firstTokenAfter,
        Duration every,
        String finishReason,
        Ending ending,
        Duration retryAfter,
        String errorMessage,
        String errorBody,
        List<String> events) {

    public Script {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status must be an HTTP status, got " + status);
        }
        tokens = List.copyOf(tokens);
        events = List.copyOf(events);
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(ending, "ending");
        requireNotNegative(firstTokenAfter, "firstTokenAfter");
        requireNotNegative(every, "every");
        if (retryAfter != null) {
            requireNotNegative(retryAfter, "retryAfter");
        }
    }

    /** {@code n} tokens {@code "tok0 "}, {@code "tok1 "}, … sent back to back. */
    public static Script tokens(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0");
        }
        List<String> tokens = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tokens.add("tok" + i + " ");
        }
        return of(tokens);
    }

    /** These content pieces, one chunk each. */
    public static Script text(String... pieces) {
        return of(List.of(pieces));
    }

    /** An error response with this status and a message matching it. */
    public static Script status(int code) {
        return status(code, defaultMessage(code));
    }

    /** An error response with this status and message. */
    public static Script status(int code, String message) {
        return new Script(code, List.of(), null, Duration.ZERO, Duration.ZERO, "stop", new Complete(), null,
                Objects.requireNonNull(message, "message"), null, List.of());
    }

    /** These chunk payloads, verbatim, then {@code [DONE]}: a vendor's own stream, every field of it. */
    public static Script events(String... payloads) {
        return new Script(200, List.of(), null, Duration.ZERO, Duration.ZERO, "stop", new Complete(), null, null, null,
                List.of(payloads));
    }

    /** One tool call whose arguments are streamed in a few fragments; finishes with {@code tool_calls}. */
    public static Script toolCall(String name, String argumentsJson) {
        return new Script(200, List.of(), new ToolCall(name, argumentsJson), Duration.ZERO, Duration.ZERO,
                "tool_calls", new Complete(), null, null, null, List.of());
    }

    private static Script of(List<String> tokens) {
        return new Script(200, tokens, null, Duration.ZERO, Duration.ZERO, "stop", new Complete(), null, null, null,
                List.of());
    }

    public Script firstTokenAfter(Duration delay) {
        return new Script(status, tokens, toolCall, delay, every, finishReason, ending, retryAfter, errorMessage,
                errorBody, events);
    }

    /** Pause between two pieces. */
    public Script every(Duration pace) {
        return new Script(status, tokens, toolCall, firstTokenAfter, pace, finishReason, ending, retryAfter,
                errorMessage, errorBody, events);
    }

    public Script finishReason(String reason) {
        return new Script(status, tokens, toolCall, firstTokenAfter, every, reason, ending, retryAfter,
                errorMessage, errorBody, events);
    }

    /** Adds {@code Retry-After: <whole seconds, rounded up>} to an error response. */
    public Script retryAfter(Duration delay) {
        return new Script(status, tokens, toolCall, firstTokenAfter, every, finishReason, ending, delay,
                errorMessage, errorBody, events);
    }

    /** Answers an error status with this body, verbatim, instead of the OpenAI-shaped one. */
    public Script errorBody(String body) {
        return new Script(status, tokens, toolCall, firstTokenAfter, every, finishReason, ending, retryAfter,
                errorMessage, Objects.requireNonNull(body, "body"), events);
    }

    /** Sends {@code n} pieces (at most the script's), then goes silent with the connection kept open. */
    public Script stallAfter(int n) {
        return ending(new Stall(requireCount(n)));
    }

    /**
     * Sends {@code n} pieces (at most the script's), then closes the connection: no final chunk, no
     * {@code [DONE]}, no end of the chunked body.
     */
    public Script dropAfter(int n) {
        return ending(new Drop(requireCount(n)));
    }

    /** Sends every piece, then ends the HTTP response cleanly without finish_reason nor {@code [DONE]}. */
    public Script withoutDone() {
        return ending(new Truncate());
    }

    /** Sends {@code n} pieces, then {@code data: {"error":{"message":...}}}, then ends the response. */
    public Script midStreamError(int n, String message) {
        return ending(new MidStreamError(requireCount(n), Objects.requireNonNull(message, "message")));
    }

    private Script ending(Ending next) {
        return new Script(status, tokens, toolCall, firstTokenAfter, every, finishReason, next, retryAfter,
                errorMessage, errorBody, events);
    }

    /** How many pieces this script streams (content tokens, tool-call fragments or events). */
    int pieceCount() {
        return !events.isEmpty() ? events.size() : toolCall != null ? toolCall.fragments().size() + 1 : tokens.size();
    }

    /** How many pieces are sent before the ending. */
    int piecesBeforeEnding() {
        int limit = ending.afterPieces();
        return limit < 0 ? pieceCount() : Math.min(limit, pieceCount());
    }

    private static int requireCount(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0");
        }
        return n;
    }

    private static void requireNotNegative(Duration d, String name) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be a non-negative duration");
        }
    }

    private static String defaultMessage(int code) {
        if (code == 401) {
            return "Incorrect API key provided";
        }
        if (code == 429) {
            return "Rate limit reached for requests";
        }
        if (code >= 500) {
            return "The server had an error while processing your request";
        }
        return "Invalid request";
    }

    /** A streamed tool call; its arguments go out in a few fragments like real providers do. */
    public record ToolCall(String name, String argumentsJson) {

        public ToolCall {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(argumentsJson, "argumentsJson");
        }

        /** The arguments in (up to) three fragments, never empty. */
        List<String> fragments() {
            int len = argumentsJson.length();
            if (len < 3) {
                return List.of(argumentsJson);
            }
            int a = len / 3;
            int b = 2 * len / 3;
            return List.of(argumentsJson.substring(0, a), argumentsJson.substring(a, b), argumentsJson.substring(b));
        }
    }

    /** How a successful reply ends. */
    public sealed interface Ending {

        /** Pieces sent before the ending, or -1 for all. */
        default int afterPieces() {
            return -1;
        }
    }

    /** Final chunk with finish_reason, usage when asked for, then {@code [DONE]}. */
    public record Complete() implements Ending {
    }

    /** Silence after {@code after} pieces, connection open. */
    public record Stall(int after) implements Ending {
        @Override
        public int afterPieces() {
            return after;
        }
    }

    /** Connection closed after {@code after} pieces. */
    public record Drop(int after) implements Ending {
        @Override
        public int afterPieces() {
            return after;
        }
    }

    /** All pieces, then a clean end of the HTTP response without finish_reason nor {@code [DONE]}. */
    public record Truncate() implements Ending {
    }

    /** An OpenAI error event after {@code after} pieces, then a clean end of the response. */
    public record MidStreamError(int after, String message) implements Ending {
        @Override
        public int afterPieces() {
            return after;
        }
    }
}
