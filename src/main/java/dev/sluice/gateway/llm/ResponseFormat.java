package dev.sluice.gateway.llm;

import tools.jackson.databind.JsonNode;

/**
 * The shape the reply must take: {@code text}, {@code json_object}, or {@code json_schema} with its schema.
 * The schema is kept as JSON because every provider that supports it takes JSON Schema.
 */
public record ResponseFormat(String type, JsonNode jsonSchema) {
}
