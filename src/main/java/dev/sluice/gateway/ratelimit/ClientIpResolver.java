package dev.sluice.gateway.ratelimit;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.netty.Connection;

/**
 * Who a request comes from, as the key of its per-IP budget. The socket's peer, unless that peer is a
 * trusted proxy: then {@code X-Forwarded-For} is read from the right, each trusted proxy vouching for the hop
 * before it, and the first address no trusted proxy stands for is the client. Anything a client wrote
 * itself sits further left, so a spoofed {@code X-Forwarded-For} changes nothing.
 * <p>
 * IPv6 clients are keyed by their /64: one subscriber usually holds a whole /64, and keying by single
 * addresses would give them 2^64 budgets.
 * <p>
 * The peer is the socket's own, read from Reactor Netty's channel: {@link ServerHttpRequest#getRemoteAddress()}
 * is what forwarded-header handling (Reactor Netty's, or Spring's {@code ForwardedHeaderTransformer}) rewrote it
 * to from the left-most {@code Forwarded}/{@code X-Forwarded-For} of any peer. application.yml turns that
 * handling off ({@code server.forward-headers-strategy: none}); this holds even where someone turns it back on.
 */
final class ClientIpResolver {

    static final String FORWARDED_FOR = "X-Forwarded-For";
    private static final String UNKNOWN = "unknown";

    private final IpNetwork[] trustedProxies;

    ClientIpResolver(List<IpNetwork> trustedProxies) {
        this.trustedProxies = trustedProxies.toArray(IpNetwork[]::new);
    }

    String resolve(ServerHttpRequest request) {
        InetAddress peer = socketPeer(request);
        if (peer == null) {
            return UNKNOWN; // not on a socket (some test harnesses): one shared budget
        }
        byte[] address = IpAddresses.normalize(peer.getAddress());
        if (trustedProxies.length == 0 || !isTrusted(address)) {
            return key(address);
        }
        List<String> forwardedFor = request.getHeaders().get(FORWARDED_FOR);
        return key(forwardedFor == null ? address : forwardedClient(forwardedFor, address));
    }

    /** The address at the other end of the TCP connection; off Reactor Netty (mock requests), the request's own. */
    private static InetAddress socketPeer(ServerHttpRequest request) {
        Connection connection = EventLoops.connectionOf(request);
        SocketAddress remote = connection != null ? connection.channel().remoteAddress() : request.getRemoteAddress();
        return remote instanceof InetSocketAddress socket ? socket.getAddress() : null;
    }

    /**
     * Walks the hops right to left, header lines last to first (several lines read as one list, in order).
     * An entry that is not an address stops the walk at the proxy that wrote it: nothing to its left can be
     * trusted. When every hop is a trusted proxy, the left-most is as close to the client as anyone knows.
     */
    private byte[] forwardedClient(List<String> lines, byte[] peer) {
        byte[] closest = peer;
        for (int line = lines.size() - 1; line >= 0; line--) {
            String hops = lines.get(line);
            int end = hops.length();
            while (end > 0) {
                int comma = hops.lastIndexOf(',', end - 1);
                String hop = hops.substring(comma + 1, end);
                end = comma;
                if (hop.isBlank()) {
                    continue;
                }
                byte[] address = IpAddresses.parse(hop);
                if (address == null) {
                    return closest;
                }
                if (!isTrusted(address)) {
                    return address;
                }
                closest = address;
            }
        }
        return closest;
    }

    private boolean isTrusted(byte[] address) {
        for (IpNetwork network : trustedProxies) {
            if (network.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** IPv4 as is; IPv6 as its /64, e.g. {@code 2001:db8:1:2::/64}. */
    static String key(byte[] address) {
        if (address.length == 4) {
            return IpAddresses.format(address);
        }
        byte[] prefix = new byte[16];
        System.arraycopy(address, 0, prefix, 0, 8);
        return IpAddresses.format(prefix) + "/64";
    }
}
