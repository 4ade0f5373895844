package dev.sluice.gateway.chat.openai;

import java.util.Map;
import java.util.Set;

import dev.sluice.gateway.llm.JsonFields;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * Folds the pieces of an object that a stream's chunks carry into the whole object a reply that does not stream
 * has, as OpenAI's SDKs accumulate a stream: texts are joined, arrays grow (those of objects with an {@code index},
 * such as tool calls, element by element), objects fold field by field, and anything else is the last value. Names
 * that say what something is rather than add to it ({@code index}, {@code type}, {@code id}, {@code role},
 * {@code name}, {@code finish_reason}) are the last value too. A value of {@code null} adds nothing.
 * <p>
 * Only a reply that has such pieces pays for it: each piece is parsed here, once, from the raw JSON it came as.
 */
final class StreamFold {

    private static final Set<String> LAST_VALUE = Set.of("index", "type", "id", "role", "name", "finish_reason");

    private final JsonMapper json;

    StreamFold(JsonMapper json) {
        this.json = json;
    }

    ObjectNode object() {
        return json.createObjectNode();
    }

    /** Each field of {@code pieces} added to {@code whole}'s of its name. */
    void add(ObjectNode whole, JsonFields pieces) {
        for (JsonFields.Field field : pieces.fields()) {
            whole.set(field.name(), fold(whole.get(field.name()), json.readTree(field.json()), field.name()));
        }
    }

    /** Each field of {@code values} in place of {@code whole}'s of its name. */
    void set(ObjectNode whole, JsonFields values) {
        for (JsonFields.Field field : values.fields()) {
            whole.set(field.name(), json.readTree(field.json()));
        }
    }

    private static JsonNode fold(JsonNode whole, JsonNode piece, String name) {
        if (whole == null || whole.isNull()) {
            return piece;
        }
        if (piece.isNull()) {
            return whole;
        }
        if (name != null && LAST_VALUE.contains(name)) {
            return piece;
        }
        if (whole.isString() && piece.isString()) {
            return StringNode.valueOf(whole.stringValue() + piece.stringValue());
        }
        if (whole instanceof ObjectNode object && piece.isObject()) {
            for (Map.Entry<String, JsonNode> field : piece.properties()) {
                object.set(field.getKey(), fold(object.get(field.getKey()), field.getValue(), field.getKey()));
            }
            return object;
        }
        if (whole instanceof ArrayNode array && piece.isArray()) {
            for (JsonNode element : piece) {
                JsonNode same = element.path("index").isInt() ? byIndex(array, element.path("index").intValue()) : null;
                if (same instanceof ObjectNode object && element.isObject()) {
                    fold(object, element, null);
                }
                else {
                    array.add(element);
                }
            }
            return array;
        }
        return piece;
    }

    private static JsonNode byIndex(ArrayNode array, int index) {
        for (JsonNode element : array) {
            if (element.path("index").isInt() && element.path("index").intValue() == index) {
                return element;
            }
        }
        return null;
    }
}
