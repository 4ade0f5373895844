package dev.sluice.gateway.ratelimit;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

import static org.assertj.core.api.Assertions.assertThat;

/** Whose budget a request spends: the socket's peer, or what trusted proxies say about the client. */
class ClientIpResolverTests {

    private final ClientIpResolver behindLocalNginx = resolver("127.0.0.1/32");
    private final ClientIpResolver behindPrivateProxies = resolver("10.0.0.0/8", "fd00::/8");

    @Test
    void aDirectClientIsTheSocketPeerWhateverItsForwardedForSays() {
        MockServerHttpRequest request = from("198.51.100.7").header("X-Forwarded-For", "203.0.113.1").build();

        assertThat(behindLocalNginx.resolve(request)).as("a client is not a trusted proxy: its header is its own invention")
                .isEqualTo("198.51.100.7");
    }

    @Test
    void behindATrustedProxyTheClientIsTheAddressTheProxyAppended() {
        MockServerHttpRequest request = from("127.0.0.1").header("X-Forwarded-For", "203.0.113.1").build();

        assertThat(behindLocalNginx.resolve(request)).isEqualTo("203.0.113.1");
    }

    @Test
    void aSpoofedForwardedForThroughATrustedProxyIsIgnored() {
        // The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the real peer, 203.0.113.1.
        MockServerHttpRequest request = from("127.0.0.1").header("X-Forwarded-For", "1.2.3.4, 203.0.113.1").build();

        assertThat(behindLocalNginx.resolve(request)).as("the right-most address no trusted proxy stands for")
                .isEqualTo("203.0.113.1");
    }

    @Test
    void aChainOfTrustedProxiesIsWalkedToTheFirstUntrustedHop() {
        MockServerHttpRequest request = from("10.0.0.2")
                .header("X-Forwarded-For", "1.2.3.4, 203.0.113.1, 10.1.1.1, 10.0.0.9").build();

        assertThat(behindPrivateProxies.resolve(request)).isEqualTo("203.0.113.1");
    }

    @Test
    void severalForwardedForLinesReadAsOneListInOrder() {
        MockServerHttpRequest request = from("10.0.0.2")
                .header("X-Forwarded-For", "1.2.3.4", "203.0.113.1, 10.1.1.1").build();

        assertThat(behindPrivateProxies.resolve(request)).isEqualTo("203.0.113.1");
    }

    @Test
    void aHopThatIsNotAnAddressStopsTheWalkAtTheProxyThatWroteIt() {
        MockServerHttpRequest garbage = from("10.0.0.2").header("X-Forwarded-For", "203.0.113.1, unknown, 10.1.1.1").build();
        MockServerHttpRequest hostName = from("127.0.0.1").header("X-Forwarded-For", "evil.example").build();

        assertThat(behindPrivateProxies.resolve(garbage)).as("nothing left of garbage can be trusted").isEqualTo("10.1.1.1");
        assertThat(behindLocalNginx.resolve(hostName)).as("a host name is never looked up").isEqualTo("127.0.0.1");
    }

    @Test
    void aTrustedProxyWithoutForwardedForIsTheClient() {
        assertThat(behindLocalNginx.resolve(from("127.0.0.1").build())).isEqualTo("127.0.0.1");
    }

    @Test
    void whenEveryHopIsTrustedTheLeftMostIsTheClosestToTheClient() {
        MockServerHttpRequest request = from("10.0.0.2").header("X-Forwarded-For", "10.9.9.9, 10.1.1.1").build();

        assertThat(behindPrivateProxies.resolve(request)).isEqualTo("10.9.9.9");
    }

    @Test
    void portsAndBracketsAroundForwardedAddressesAreDropped() {
        MockServerHttpRequest v4 = from("127.0.0.1").header("X-Forwarded-For", "203.0.113.1:51234").build();
        MockServerHttpRequest v6 = from("127.0.0.1").header("X-Forwarded-For", "[2001:db8::1]:443").build();

        assertThat(behindLocalNginx.resolve(v4)).isEqualTo("203.0.113.1");
        assertThat(behindLocalNginx.resolve(v6)).isEqualTo("2001:db8::/64");
    }

    @Test
    void ipv6ClientsShareTheBudgetOfTheirSlash64() {
        assertThat(behindLocalNginx.resolve(from("2001:db8:1:2:aaaa::1").build()))
                .isEqualTo(behindLocalNginx.resolve(from("2001:db8:1:2:bbbb::2").build()))
                .as("one subscriber's /64, not 2^64 budgets").isEqualTo("2001:db8:1:2::/64");
        assertThat(behindLocalNginx.resolve(from("2001:db8:1:3::1").build())).isEqualTo("2001:db8:1:3::/64");
    }

    @Test
    void ipv4MappedIpv6IsReadAsIpv4() {
        MockServerHttpRequest request = from("127.0.0.1").header("X-Forwarded-For", "::ffff:203.0.113.1").build();

        assertThat(behindLocalNginx.resolve(request)).isEqualTo("203.0.113.1");
    }

    @Test
    void withNoTrustedProxiesForwardedForIsNeverRead() {
        MockServerHttpRequest request = from("127.0.0.1").header("X-Forwarded-For", "203.0.113.1").build();

        assertThat(new ClientIpResolver(List.of()).resolve(request)).isEqualTo("127.0.0.1");
    }

    @Test
    void cidrBlocksMatchOnTheirPrefixOnly() {
        IpNetwork block = IpNetwork.parse("192.168.16.0/20");

        assertThat(block.contains(IpAddresses.parse("192.168.31.255"))).isTrue();
        assertThat(block.contains(IpAddresses.parse("192.168.32.0"))).isFalse();
        assertThat(block.contains(IpAddresses.parse("::ffff:192.168.16.1"))).as("IPv4-mapped").isTrue();
        assertThat(IpNetwork.parse("0.0.0.0/0").contains(IpAddresses.parse("8.8.8.8"))).isTrue();
        assertThat(IpNetwork.parse("0.0.0.0/0").contains(IpAddresses.parse("2001:db8::1"))).as("families never mix").isFalse();
        assertThat(IpNetwork.parse("10.0.0.0/33")).isNull();
        assertThat(IpNetwork.parse("10.0.0/8")).isNull();
        assertThat(IpNetwork.parse("nginx.internal")).isNull();
    }

    private static ClientIpResolver resolver(String... trusted) {
        return new ClientIpResolver(List.of(trusted).stream().map(IpNetwork::parse).toList());
    }

    private static MockServerHttpRequest.BaseBuilder<?> from(String peer) {
        return MockServerHttpRequest.get("/v1/models").remoteAddress(new InetSocketAddress(peer, 40000));
    }
}
