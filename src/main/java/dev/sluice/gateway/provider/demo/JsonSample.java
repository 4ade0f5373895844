package dev.sluice.gateway.provider.demo;

import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A plausible value for a JSON Schema, for the demo simulator's tool calls and JSON replies: every property of
 * an object, the first of an {@code enum} or a {@code const}, a placeholder of the right type otherwise.
 * It covers the common shapes, not the whole of JSON Schema; {@code $ref} and combinators get {@code null}.
 */
final class JsonSample {

    static final JsonNodeFactory FACTORY = JsonNodeFactory.instance;
    /** Deep enough for any schema a client writes by hand, shallow enough that a recursive one stops. */
    private static final int MAX_DEPTH = 8;

    private JsonSample() {
    }

    /** A sample of the schema; an object for a missing or non-object schema, as tool arguments must be. */
    static JsonNode of(JsonNode schema) {
        if (schema == null || !schema.isObject()) {
            return FACTORY.objectNode();
        }
        return sample(schema, 0);
    }

    private static JsonNode sample(JsonNode schema, int depth) {
        if (schema.has("const")) {
            return schema.get("const");
        }
        if (schema.path("enum").isArray() && !schema.path("enum").isEmpty()) {
            return schema.path("enum").get(0);
        }
        if (schema.has("default")) {
            return schema.get("default");
        }
        String type = type(schema);
        if (depth >= MAX_DEPTH) {
            return FACTORY.nullNode();
        }
        switch (type) {
            case "object": {
                ObjectNode object = FACTORY.objectNode();
                for (Map.Entry<String, JsonNode> property : schema.path("properties").properties()) {
                    object.set(property.getKey(), sample(property.getValue(), depth + 1));
                }
                return object;
            }
            case "array": {
                ArrayNode array = FACTORY.arrayNode();
                if (schema.path("items").isObject()) {
                    array.add(sample(schema.path("items"), depth + 1));
                }
                return array;
            }
            case "string":
                return FACTORY.textNode("demo");
            case "integer":
                return FACTORY.numberNode(1);
            case "number":
                return FACTORY.numberNode(1.5);
            case "boolean":
                return FACTORY.booleanNode(true);
            default:
                return FACTORY.nullNode();
        }
    }

    /** The schema's type, the first non-null one of a list, or {@code object} when it has properties. */
    private static String type(JsonNode schema) {
        JsonNode type = schema.path("type");
        if (type.isString()) {
            return type.asString();
        }
        if (type.isArray()) {
            for (JsonNode each : type) {
                if (each.isString() && !each.asString().equals("null")) {
                    return each.asString();
                }
            }
        }
        return schema.has("properties") ? "object" : "null";
    }
}
