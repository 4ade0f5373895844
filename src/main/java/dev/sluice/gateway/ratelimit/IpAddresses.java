package dev.sluice.gateway.ratelimit;

import io.netty.util.NetUtil;

/**
 * IP address literals as bytes, read without ever asking DNS (so never blocking): a header value that is
 * a host name, {@code unknown} or garbage is simply not an address.
 */
final class IpAddresses {

    private IpAddresses() {
    }

    /**
     * The address in {@code text}: IPv4, IPv6, {@code [IPv6]}, with or without a port; IPv4-mapped IPv6
     * comes back as IPv4. {@code null} when it is none of these.
     */
    static byte[] parse(String text) {
        String literal = text.trim();
        if (literal.isEmpty()) {
            return null;
        }
        if (literal.charAt(0) == '[') {
            int close = literal.indexOf(']');
            if (close < 0) {
                return null;
            }
            literal = literal.substring(1, close);
        }
        else {
            int colon = literal.indexOf(':');
            if (colon > 0 && literal.indexOf(':', colon + 1) < 0) {
                literal = literal.substring(0, colon); // IPv4 with a port
            }
        }
        return normalize(NetUtil.createByteArrayFromIpAddressString(literal));
    }

    /** IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}, as a dual-stack socket reports IPv4 peers) as plain IPv4. */
    static byte[] normalize(byte[] address) {
        if (address == null || address.length != 16) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xFF || address[11] != (byte) 0xFF) {
            return address;
        }
        return new byte[] {address[12], address[13], address[14], address[15]};
    }

    static String format(byte[] address) {
        return NetUtil.bytesToIpAddress(address);
    }
}
