package dev.sluice.gateway.testing;

import java.util.List;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.codec.ServerSentEvent;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reading event streams in tests. */
public final class SseEvents {

    public static final ParameterizedTypeReference<ServerSentEvent<String>> TYPE = new ParameterizedTypeReference<>() {
    };
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SseEvents() {
    }

    /** The events that carry data, without heartbeat comments. */
    public static List<ServerSentEvent<String>> withData(List<ServerSentEvent<String>> events) {
        return events.stream().filter(event -> event.data() != null).toList();
    }

    public static JsonNode json(String data) {
        return JSON.readTree(data);
    }

    public static JsonNode json(ServerSentEvent<String> event) {
        return json(event.data());
    }
}
