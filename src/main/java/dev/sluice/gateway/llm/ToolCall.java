package dev.sluice.gateway.llm;

/** A complete function call the assistant asked for; {@code arguments} is the JSON text as the model wrote it. */
public record ToolCall(String id, String name, String arguments) {
}
