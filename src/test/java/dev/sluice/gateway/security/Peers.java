package dev.sluice.gateway.security;

import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;

import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;

/**
 * Clients on real sockets from an address of their choosing on the loopback network (127.0.0.0/8): the gateway
 * trusts 127.0.0.1 as its proxy, so a client on any other loopback address is an untrusted peer, as one on the
 * internet would be, with a per-IP budget no other test run shares.
 */
final class Peers {

    private Peers() {
    }

    /** A loopback address other than the trusted 127.0.0.1, fresh for each run. */
    static String untrustedLoopback() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "127." + (1 + random.nextInt(254)) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
    }

    /** A random address in 10.0.0.0/8, as a spoofed header would name. */
    static String randomPrivateAddress() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
    }

    /** A random address in 198.18.0.0/15 (for benchmarks), as a trusted proxy would name a client behind it. */
    static String benchmarkAddress() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "198." + (18 + random.nextInt(2)) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
    }

    /** A client whose connections to the gateway on {@code port} come from {@code source}. */
    static WebClient from(String source, int port) {
        HttpClient http = HttpClient.create().bindAddress(() -> new InetSocketAddress(source, 0));
        return WebClient.builder().baseUrl("http://127.0.0.1:" + port).clientConnector(new ReactorClientHttpConnector(http))
                .build();
    }
}
