package dev.sluice.gateway.web;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random identifiers for requests, replies and messages. They need to be unique, not secret, so they come
 * from {@link ThreadLocalRandom}: {@link UUID#randomUUID()} would take SecureRandom's lock on the event loop.
 */
public final class Ids {

    private Ids() {
    }

    /** A random version-4 UUID. */
    public static UUID uuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low);
    }

    /** 32 random hex digits. */
    public static String hex() {
        UUID uuid = uuid();
        return Long.toHexString(uuid.getMostSignificantBits() | Long.MIN_VALUE)
                + Long.toHexString(uuid.getLeastSignificantBits());
    }
}
