package dev.sluice.gateway.embedding;

import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.routing.ModelNames;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Checks an OpenAI embeddings request: {@code model}, {@code input} (a string, an array of strings, an array of token
 * ids or an array of such arrays, none of them empty, at most {@code max-inputs}), {@code encoding_format} ({@code float}
 * or {@code base64}), {@code dimensions} and {@code user}; each refusal names the field. Other fields are left for the
 * provider to judge.
 */
final class EmbeddingRequestReader {

    private static final String INPUT_SHAPES = "a string, an array of strings, an array of token ids or an array of token-id arrays";

    private EmbeddingRequestReader() {
    }

    static EmbeddingRequest read(JsonNode root, int maxInputs) {
        if (!(root instanceof ObjectNode body)) {
            throw new GatewayException(ErrorCode.INVALID_REQUEST,
                    "The request body must be a JSON object");
        }
        JsonNode model = body.path("model");
        if (!model.isString() || model.stringValue().isBlank()) {
            throw GatewayException.invalid("model", "is required (a string)");
        }
        ModelNames.check(model.stringValue());
        return new EmbeddingRequest(model.stringValue(), input(body.path("input"), maxInputs),
                encodingFormat(body.path("encoding_format")), dimensions(body.path("dimensions")), user(body.path("user")),
                body);
    }

    private static EmbeddingInput input(JsonNode input, int maxInputs) {
        if (input.isString()) {
            return new EmbeddingInput.Texts(List.of(text(input, "input")));
        }
        if (!input.isArray()) {
            throw GatewayException.invalid("input", input.isMissingNode() || input.isNull() ? "is required (" + INPUT_SHAPES + ")"
                    : "must be " + INPUT_SHAPES);
        }
        if (input.isEmpty()) {
            throw GatewayException.invalid("input", "must not be an empty array");
        }
        JsonNode first = input.get(0);
        if (first.isNumber()) {
            return new EmbeddingInput.TokenArrays(List.of(tokens(input, "input")));
        }
        if (input.size() > maxInputs) {
            throw GatewayException.invalid("input", input.size() + " inputs, over the limit of " + maxInputs);
        }
        if (first.isString()) {
            List<String> texts = new ArrayList<>(input.size());
            for (int i = 0; i < input.size(); i++) {
                texts.add(text(input.get(i), "input[" + i + "]"));
            }
            return new EmbeddingInput.Texts(texts);
        }
        if (first.isArray()) {
            List<int[]> arrays = new ArrayList<>(input.size());
            for (int i = 0; i < input.size(); i++) {
                arrays.add(tokens(input.get(i), "input[" + i + "]"));
            }
            return new EmbeddingInput.TokenArrays(arrays);
        }
        throw GatewayException.invalid("input[0]", "must be a string, a token id or an array of token ids");
    }

    private static String text(JsonNode node, String path) {
        if (!node.isString()) {
            throw GatewayException.invalid(path, "must be a string, as the first input is");
        }
        if (node.stringValue().isEmpty()) {
            throw GatewayException.invalid(path, "must not be empty");
        }
        return node.stringValue();
    }

    private static int[] tokens(JsonNode node, String path) {
        if (!node.isArray()) {
            throw GatewayException.invalid(path, "must be an array of token ids, as the first input is");
        }
        if (node.isEmpty()) {
            throw GatewayException.invalid(path, "must not be an empty array");
        }
        int[] tokens = new int[node.size()];
        for (int i = 0; i < tokens.length; i++) {
            JsonNode token = node.get(i);
            if (!token.isIntegralNumber() || !token.canConvertToInt() || token.intValue() < 0) {
                throw GatewayException.invalid(path + "[" + i + "]", "must be a token id (a whole number, 0 or more)");
            }
            tokens[i] = token.intValue();
        }
        return tokens;
    }

    private static String encodingFormat(JsonNode format) {
        if (format.isMissingNode() || format.isNull()) {
            return null;
        }
        if (format.isString() && (format.stringValue().equals(EmbeddingRequest.FLOAT)
                || format.stringValue().equals(EmbeddingRequest.BASE64))) {
            return format.stringValue();
        }
        throw GatewayException.invalid("encoding_format", "must be float or base64");
    }

    private static Integer dimensions(JsonNode dimensions) {
        if (dimensions.isMissingNode() || dimensions.isNull()) {
            return null;
        }
        if (!dimensions.isIntegralNumber() || !dimensions.canConvertToInt() || dimensions.intValue() < 1) {
            throw GatewayException.invalid("dimensions", "must be a positive whole number");
        }
        return dimensions.intValue();
    }

    private static String user(JsonNode user) {
        if (user.isMissingNode() || user.isNull()) {
            return null;
        }
        if (!user.isString()) {
            throw GatewayException.invalid("user", "must be a string");
        }
        return user.stringValue();
    }
}
