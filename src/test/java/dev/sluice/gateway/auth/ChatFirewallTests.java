package dev.sluice.gateway.auth;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedException;
import org.springframework.security.web.server.firewall.ServerWebExchangeFirewall;
import org.springframework.web.server.ServerWebExchange;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class ChatFirewallTests {

    private final ServerWebExchangeFirewall firewall = SecurityConfig.firewall();

    @Test
    void aChatNamedExactlyPassesAsItCame() {
        for (String path : new String[] {"/v1/chat/completions", "/v1/messages", "/api/v1/chat"}) {
            MockServerWebExchange chat = exchange(HttpMethod.POST, path);

            assertThat(firewall.getFirewalledExchange(chat).block()).as(path + ": not wrapped").isSameAs(chat);
        }
    }

    @Test
    void anEncodedChatPathStillMeetsTheStrictFirewall() {
        firewall.getFirewalledExchange(exchange(HttpMethod.POST, "/v1/chat%2Fcompletions"))
                .as(StepVerifier::create)
                .expectError(ServerExchangeRejectedException.class)
                .verify();
    }

    @Test
    void everyOtherRequestIsFirewalled() {
        for (MockServerWebExchange other : new MockServerWebExchange[] {exchange(HttpMethod.GET, "/v1/chat/completions"),
                exchange(HttpMethod.POST, "/api/v1/keys"), exchange(HttpMethod.POST, "/v1/chat/completions/")}) {
            ServerWebExchange firewalled = firewall.getFirewalledExchange(other).block();

            assertThat(firewalled).as(other.getRequest().getMethod() + " " + other.getRequest().getPath() + ": wrapped")
                    .isNotSameAs(other);
        }
    }

    private static MockServerWebExchange exchange(HttpMethod method, String path) {
        return MockServerWebExchange.from(MockServerHttpRequest.method(method, URI.create("http://localhost" + path)));
    }
}
