package dev.sluice.gateway.provider.gemini;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.JsonNode;

/** The {@code generateContent} request body as Sluice sends it (Gemini names fields in camelCase). */
final class GeminiRequestWire {

    private GeminiRequestWire() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Request(
            List<Content> contents,
            Content systemInstruction,
            GenerationConfig generationConfig,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Tool> tools,
            ToolConfig toolConfig) {
    }

    /** {@code role} is user or model, none for the system instruction. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Content(String role, List<Part> parts) {
    }

    /** One of text, inline bytes (an image), a function call or a function's response. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Part(String text, Blob inlineData, FunctionCall functionCall, FunctionResponse functionResponse) {

        static Part text(String text) {
            return new Part(text, null, null, null);
        }

        static Part inline(String mimeType, String data) {
            return new Part(null, new Blob(mimeType, data), null, null);
        }

        static Part functionCall(FunctionCall call) {
            return new Part(null, null, call, null);
        }

        static Part functionResponse(FunctionResponse response) {
            return new Part(null, null, null, response);
        }
    }

    /** Bytes in base64 with their media type. */
    record Blob(String mimeType, String data) {
    }

    record FunctionCall(String name, JsonNode args) {
    }

    record FunctionResponse(String name, JsonNode response) {
    }

    /** JSON Schema goes in {@code responseJsonSchema}: {@code responseSchema} takes only an OpenAPI subset. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record GenerationConfig(
            Double temperature,
            Double topP,
            Integer maxOutputTokens,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> stopSequences,
            Integer seed,
            Double presencePenalty,
            Double frequencyPenalty,
            String responseMimeType,
            JsonNode responseJsonSchema,
            ThinkingConfig thinkingConfig) {
    }

    /** How many tokens the model may think in first; 0 turns thinking off where the model allows it. */
    record ThinkingConfig(int thinkingBudget) {
    }

    record Tool(List<FunctionDeclaration> functionDeclarations) {
    }

    /** The parameters' JSON Schema as callers wrote it for OpenAI, in the field that takes JSON Schema. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FunctionDeclaration(String name, String description, JsonNode parametersJsonSchema) {
    }

    record ToolConfig(FunctionCallingConfig functionCallingConfig) {
    }

    /** {@code mode} is AUTO, ANY or NONE. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FunctionCallingConfig(String mode, List<String> allowedFunctionNames) {
    }
}
