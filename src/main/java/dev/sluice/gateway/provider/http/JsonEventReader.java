package dev.sluice.gateway.provider.http;

import dev.sluice.gateway.provider.UpstreamException.StreamBroken;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A reader for protocols whose payloads are small JSON objects, read whole (Anthropic's events,
 * Gemini's responses): each payload is parsed once, in place, then handed over as a tree.
 */
public abstract class JsonEventReader implements EventReader {

    private final JsonMapper json;

    protected JsonEventReader(JsonMapper json) {
        this.json = json;
    }

    @Override
    public final void read(byte[] bytes, int offset, int length, ChunkSink reply) {
        JsonNode payload;
        try (JsonParser parser = json.createParser(bytes, offset, length)) {
            payload = parser.readValueAsTree();
        }
        catch (JacksonException e) {
            throw new StreamBroken("upstream sent an event that is not valid JSON");
        }
        if (payload == null || !payload.isObject()) {
            throw new StreamBroken("upstream sent an event that is not a JSON object");
        }
        read(payload, reply);
    }

    /**
     * Reads one payload into {@code reply}.
     *
     * @throws StreamBroken on an error event
     */
    protected abstract void read(JsonNode payload, ChunkSink reply);
}
