package dev.sluice.gateway.provider.key;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The API keys of one provider. A call leases the key with the fewest calls in flight among those not
 * cooling down after a 429 and not refused by the provider; the lease says how the call went.
 * Cooldowns are announced to a {@link CooldownListener}, so that other replicas rest the key too.
 */
public final class KeyPool {

    /** Hears of every cooldown decided here; {@code keyId} identifies a key without revealing it. */
    @FunctionalInterface
    public interface CooldownListener {
        void cooledDown(String provider, String keyId, long untilEpochMillis);
    }

    private static final Log logger = LogFactory.getLog(KeyPool.class);

    private final String provider;
    private final Key[] keys;
    private volatile CooldownListener listener = (provider, keyId, until) -> { };

    public KeyPool(String provider, List<String> keys) {
        this.provider = provider;
        this.keys = keys.stream().map(Key::new).toArray(Key[]::new);
    }

    public void onCooldown(CooldownListener listener) {
        this.listener = listener;
    }

    /** Rests the key with this id until then, as another replica decided; unknown ids are ignored. */
    public void coolDown(String keyId, long untilEpochMillis) {
        for (Key key : keys) {
            if (key.id.equals(keyId)) {
                key.restUntil(untilEpochMillis);
            }
        }
    }

    /** Whether this provider authenticates at all (local servers may not). */
    public boolean isEmpty() {
        return keys.length == 0;
    }

    /**
     * Leases the least busy usable key, or returns {@code null} when every key is cooling down or
     * refused. A provider without keys gets a lease on no key.
     */
    public Lease acquire() {
        if (keys.length == 0) {
            return new Lease(null);
        }
        long now = System.nanoTime();
        Key best = null;
        for (Key key : keys) {
            if (key.usable(now) && (best == null || key.inFlight.get() < best.inFlight.get())) {
                best = key;
            }
        }
        if (best == null) {
            return null;
        }
        best.inFlight.incrementAndGet();
        return new Lease(best);
    }

    /** How many keys can take a call right now. */
    public int usableKeys() {
        long now = System.nanoTime();
        int usable = 0;
        for (Key key : keys) {
            if (key.usable(now)) {
                usable++;
            }
        }
        return keys.length == 0 ? 1 : usable;
    }

    /** One call's use of one key. Releasing twice is harmless. */
    public final class Lease {

        private final Key key;
        private boolean released;

        private Lease(Key key) {
            this.key = key;
        }

        /** The key to send, or {@code null} for a provider without keys. */
        public String key() {
            return key == null ? null : key.value;
        }

        public void release() {
            if (key != null && !released) {
                released = true;
                key.inFlight.decrementAndGet();
            }
        }

        /** The provider rate limited this key: rest it for {@code duration}, here and on every replica. */
        public void coolDown(Duration duration) {
            if (key != null) {
                long until = System.currentTimeMillis() + duration.toMillis();
                key.restUntil(until);
                listener.cooledDown(provider, key.id, until);
            }
        }

        /** The provider refused this key: take it out of rotation until restart, and say so once. */
        public void disable() {
            if (key != null && !key.disabled) {
                key.disabled = true;
                logger.warn("Provider '" + provider + "' refused API key " + key.redacted()
                        + "; it is out of rotation until the gateway restarts");
            }
        }
    }

    private static final class Key {
        final String value;
        final String id;
        final AtomicInteger inFlight = new AtomicInteger();
        volatile long coolUntil = System.nanoTime();
        volatile boolean disabled;

        Key(String value) {
            this.value = value;
            this.id = fingerprint(value);
        }

        /** Wall-clock time, so that replicas agree; kept as nanoTime, which never jumps. */
        void restUntil(long untilEpochMillis) {
            long until = System.nanoTime() + (untilEpochMillis - System.currentTimeMillis()) * 1_000_000;
            if (until - coolUntil > 0) {
                coolUntil = until;
            }
        }

        boolean usable(long now) {
            return !disabled && now - coolUntil >= 0;
        }

        /** The first 16 hex digits of the key's SHA-256: a stable name that cannot be turned back into the key. */
        static String fingerprint(String key) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(digest, 0, 8);
            }
            catch (NoSuchAlgorithmException impossible) {
                throw new IllegalStateException(impossible);
            }
        }

        /** Enough to tell keys apart in a log, too little to use. */
        String redacted() {
            return value.length() <= 8 ? "****" : value.substring(0, 4) + "…" + value.substring(value.length() - 2);
        }
    }
}
