package dev.sluice.gateway.llm;

/**
 * One part of a message whose content is more than one piece of text: text, an image, or a part of a kind the
 * neutral model does not model. An image is inline (its bytes in base64, with their media type) or a URL the
 * provider fetches itself.
 */
public sealed interface ContentPart {

    /** The text this part holds, or {@code null}: what limits, estimates and history read of it. */
    String text();

    record Text(String text) implements ContentPart {
    }

    /**
     * Exactly one of {@code data} (with {@code mediaType}) and {@code url} is set.
     *
     * @param detail OpenAI's resolution hint ({@code low}, {@code high}, {@code auto}), or {@code null}; other
     *        protocols pick the resolution themselves
     */
    record Image(String mediaType, String data, String url, String detail) implements ContentPart {

        public static Image inline(String mediaType, String base64) {
            return new Image(mediaType, base64, null, null);
        }

        public static Image at(String url) {
            return new Image(null, null, url, null);
        }

        public boolean isInline() {
            return data != null;
        }

        @Override
        public String text() {
            return null;
        }
    }

    /**
     * A part as the caller wrote it, for a provider of the caller's protocol: OpenAI's {@code input_audio} and
     * {@code file}, a part of a kind added after this was written, or a text or image part with fields the neutral
     * model does not model (a vendor's {@code cache_control}).
     *
     * @param type the part's {@code type}
     * @param json the whole part, as JSON text
     * @param text the text it holds, or {@code null}
     */
    record Raw(String type, String json, String text) implements ContentPart {
    }
}
