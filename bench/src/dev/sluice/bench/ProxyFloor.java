package dev.sluice.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

/**
 * The cost floor of one Java proxy hop, for {@code bench/floor.sh}: {@code POST /v1/chat/completions} passed to an
 * upstream and its whole reply passed back, nothing else (no auth, limits, parsing or routing). Two ways, to tell what
 * the frameworks cost before any of the gateway's own work:
 * <ul>
 * <li>{@code netty}: Reactor Netty's server and client alone, the body handed through as buffers;</li>
 * <li>{@code webflux}: Spring WebFlux's functional endpoints and WebClient on the same server and client, without
 * Spring Boot or Spring Security.</li>
 * </ul>
 * Usage: {@code ProxyFloor netty|webflux PORT UPSTREAM_BASE_URL} (the upstream's base without {@code /v1}).
 */
public final class ProxyFloor {

    private static final String PATH = "/v1/chat/completions";

    private ProxyFloor() {
    }

    public static void main(String[] args) {
        if (args.length != 3 || !(args[0].equals("netty") || args[0].equals("webflux"))) {
            System.err.println("usage: ProxyFloor netty|webflux PORT UPSTREAM_BASE_URL");
            System.exit(2);
        }
        int port = Integer.parseInt(args[1]);
        HttpClient client = HttpClient.create(ConnectionProvider.builder("floor").maxConnections(256)
                .pendingAcquireMaxCount(-1).build()).baseUrl(args[2]);
        HttpServer server = HttpServer.create().host("127.0.0.1").port(port);
        DisposableServer bound = args[0].equals("netty") ? netty(server, client).bindNow() : webflux(server, client).bindNow();
        System.out.println("ProxyFloor " + args[0] + " on " + bound.port());
        bound.onDispose().block();
    }

    private static HttpServer netty(HttpServer server, HttpClient client) {
        HttpClient json = client.headers(headers -> headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON));
        return server.route(routes -> routes.post(PATH, (request, response) -> request.receive().aggregate().retain()
                .flatMap(body -> json.post().uri(PATH).send(Mono.just(body)).responseSingle((reply, bytes) -> bytes.retain()))
                .flatMap(reply -> response.header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .sendObject(reply).then())));
    }

    private static HttpServer webflux(HttpServer server, HttpClient client) {
        WebClient upstream = WebClient.builder().clientConnector(new ReactorClientHttpConnector(client)).build();
        RouterFunction<ServerResponse> route = RouterFunctions.route(POST(PATH), request -> request.bodyToMono(byte[].class)
                .flatMap(body -> upstream.post().uri(PATH).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
                        .retrieve().bodyToMono(byte[].class))
                .flatMap(reply -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(reply)));
        return server.handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(route)));
    }
}
