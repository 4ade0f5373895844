package dev.sluice.gateway.status;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Asks a provider whether it is there, without a key and without spending tokens: an unauthenticated
 * {@code GET {base-url}/models}. Any HTTP answer below 500 (a 401 or 404 included) proves the provider
 * reachable, and its latency is the probe's; a connection error, a timeout or a 5xx is a failed check.
 * The same request with a refused key asks whether the provider takes that key again: a 2xx says it does,
 * and with a working key it fetches the model list itself, for the model lists of a {@code "*"} provider.
 * <p>
 * One client for all probes. A probe reads only the status line and headers: a model list can run to
 * megabytes, so the connection is closed instead of drained; a fetch of the list reads a bounded body. Probes are seconds apart, so nothing is
 * pooled; each one measures a fresh connection, as a first call after a quiet spell would see it.
 */
final class ProviderProbe {

    private final HttpClient http = HttpClient.create(ConnectionProvider.newConnection())
            .followRedirect(false)
            .headers(headers -> headers.set(HttpHeaderNames.USER_AGENT, "sluice-status-probe"));

    Mono<ProbeResult> probe(ProbeTarget target) {
        if (target.inProcess()) {
            return Mono.just(ProbeResult.reachable(target.name(), Duration.ZERO));
        }
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return http.get().uri(target.uri()).response()
                    .map(response -> {
                        Duration latency = since(start);
                        int status = response.status().code();
                        return status < 500 ? ProbeResult.reachable(target.name(), latency)
                                : ProbeResult.failed(target.name(), latency, "answered " + status);
                    })
                    .timeout(target.timeout())
                    .onErrorResume(error -> Mono.just(ProbeResult.failed(target.name(), since(start),
                            describe(error, target))));
        });
    }

    /** Whether the provider answers its model list with a 2xx to this key; any failure is a no. */
    Mono<Boolean> accepts(KeyRecheck check, String key) {
        return Mono.defer(() -> http.headers(headers -> check.credentials().accept(headers, key))
                .get().uri(check.uri()).response()
                .map(response -> response.status().code() / 100 == 2)
                .timeout(check.timeout())
                .onErrorReturn(false));
    }

    /**
     * The body of a 2xx answer to an authenticated {@code GET}; fails on any other status, after the timeout,
     * or once the body outgrows {@code maxBytes}, which closes the connection rather than read on.
     */
    Mono<byte[]> fetch(URI uri, Consumer<HttpHeaders> credentials, Duration timeout, int maxBytes) {
        return Mono.defer(() -> http.headers(credentials)
                .get().uri(uri)
                .response((response, body) -> {
                    int status = response.status().code();
                    if (status / 100 != 2) {
                        return Mono.error(new IllegalStateException("answered " + status));
                    }
                    return body.asByteArray().reduce(new ByteArrayOutputStream(), (out, bytes) -> {
                        if (out.size() + bytes.length > maxBytes) {
                            throw new IllegalStateException("the answer is over " + maxBytes + " bytes");
                        }
                        out.writeBytes(bytes);
                        return out;
                    }).map(ByteArrayOutputStream::toByteArray);
                })
                .next()
                .timeout(timeout, Mono.error(() -> new TimeoutException("no answer within " + timeout.toMillis() + " ms"))));
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static String describe(Throwable error, ProbeTarget target) {
        if (error instanceof TimeoutException) {
            return "no answer within " + target.timeout().toMillis() + " ms";
        }
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }
}
