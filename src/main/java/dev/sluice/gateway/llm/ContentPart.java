package dev.sluice.gateway.llm;

/**
 * One part of a message whose content is more than one piece of text: text, or an image. An image is inline (its
 * bytes in base64, with their media type) or a URL the provider fetches itself.
 */
public sealed interface ContentPart {

    record Text(String text) implements ContentPart {
    }

    /** Exactly one of {@code data} (with {@code mediaType}) and {@code url} is set. */
    record Image(String mediaType, String data, String url) implements ContentPart {

        public static Image inline(String mediaType, String base64) {
            return new Image(mediaType, base64, null);
        }

        public static Image at(String url) {
            return new Image(null, null, url);
        }

        public boolean isInline() {
            return data != null;
        }
    }
}
