package dev.sluice.gateway.llm;

import tools.jackson.databind.JsonNode;

/** A function the model may call; {@code parameters} is its JSON Schema, passed through untouched. */
public record ToolDefinition(String name, String description, JsonNode parameters, Boolean strict) {
}
