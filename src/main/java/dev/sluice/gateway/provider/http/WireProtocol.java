package dev.sluice.gateway.provider.http;

import java.net.URI;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.sluice.gateway.provider.UpstreamCall;
import dev.sluice.gateway.provider.UpstreamException;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * What one wire protocol (OpenAI Chat Completions, Anthropic Messages, Gemini) adds to the streaming
 * HTTP call every protocol shares ({@link EventStreamClient}). Each part is a pure, thread-safe function.
 *
 * @param endpoint where to POST a call
 * @param headers adds the credentials (the call's API key, may be {@code null}) and whatever else the
 *        protocol requires to a request's headers (Reactor Netty's, which every HTTP call here is made with)
 * @param body the request body of a call, an object to write as JSON; throws
 *        {@link UpstreamException.Rejected} when the request cannot be put in the protocol's terms
 * @param readers a fresh reader for each reply
 * @param wholeReplies whether the protocol can ask for a reply whole: {@code body} then asks for one when the call
 *        is {@linkplain UpstreamCall#whole() whole}, and a reader reads the reply's one JSON document as one payload
 */
public record WireProtocol(
        Function<UpstreamCall, URI> endpoint,
        BiConsumer<HttpHeaders, String> headers,
        Function<UpstreamCall, ?> body,
        Supplier<? extends EventReader> readers,
        boolean wholeReplies) {

    /** {@code path} under {@code baseUrl}, however many slashes the operator ended the base URL with. */
    public static URI resolve(URI baseUrl, String path) {
        String base = baseUrl.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(base + path);
    }
}
