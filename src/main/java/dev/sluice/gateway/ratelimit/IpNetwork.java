package dev.sluice.gateway.ratelimit;

/**
 * A CIDR block such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a block of one. IPv4 and
 * IPv6 are told apart by length, so an IPv4 block never matches an IPv6 address (IPv4-mapped IPv6
 * addresses are read as IPv4 by {@link IpAddresses}).
 */
final class IpNetwork {

    private final byte[] network;
    private final int prefixLength;

    private IpNetwork(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /** The block, or {@code null} when {@code cidr} is not one. */
    static IpNetwork parse(String cidr) {
        if (cidr == null) {
            return null;
        }
        String text = cidr.trim();
        int slash = text.indexOf('/');
        byte[] address = IpAddresses.parse(slash < 0 ? text : text.substring(0, slash));
        if (address == null) {
            return null;
        }
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(text.substring(slash + 1));
            }
            catch (NumberFormatException notANumber) {
                return null;
            }
            if (prefix < 0 || prefix > bits) {
                return null;
            }
        }
        return new IpNetwork(address, prefix);
    }

    boolean contains(byte[] address) {
        if (address.length != network.length) {
            return false;
        }
        int whole = prefixLength / 8;
        for (int i = 0; i < whole; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (address[whole] & mask) == (network[whole] & mask);
    }

    @Override
    public String toString() {
        return IpAddresses.format(network) + "/" + prefixLength;
    }
}
