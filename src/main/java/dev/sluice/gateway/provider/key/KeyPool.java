package dev.sluice.gateway.provider.key;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The API keys of one provider. A call for a model leases the key with the fewest calls in flight among
 * those not refused by the provider and not cooling down after a 429, for that model or for every model.
 * The lease says how the call went. Cooldowns are announced to a {@link CooldownListener}, so that other
 * replicas rest the key too; a refused key stays out until {@link #restore} puts it back.
 */
public final class KeyPool {

    /** Hears of every cooldown decided here; {@code keyId} identifies a key without revealing it. */
    @FunctionalInterface
    public interface CooldownListener {
        /** @param model the model the key rests for, or {@code null} when it rests for every model */
        void cooledDown(String provider, String keyId, String model, long untilEpochMillis);
    }

    /**
     * Most models one key rests for separately. Direct models may be any name, and a key rests for every
     * model rather than remember more: bounded memory, at worst a key resting longer than it had to.
     */
    static final int MAX_MODEL_COOLDOWNS = 256;

    private static final Log logger = LogFactory.getLog(KeyPool.class);

    private final String provider;
    private final Key[] keys;
    private volatile CooldownListener listener = (provider, keyId, model, until) -> { };

    public KeyPool(String provider, List<String> keys) {
        this.provider = provider;
        this.keys = keys.stream().map(Key::new).toArray(Key[]::new);
    }

    public void onCooldown(CooldownListener listener) {
        this.listener = listener;
    }

    /**
     * Rests the key with this id until then, for {@code model} or for every model when it is {@code null},
     * as another replica decided; unknown ids are ignored.
     */
    public void coolDown(String keyId, String model, long untilEpochMillis) {
        for (Key key : keys) {
            if (key.id.equals(keyId)) {
                key.restUntil(model, untilEpochMillis);
            }
        }
    }

    /** Whether this provider authenticates at all (local servers may not). */
    public boolean isEmpty() {
        return keys.length == 0;
    }

    /**
     * Leases the least busy key usable for {@code model}, or returns {@code null} when every key is cooling
     * down or refused. A provider without keys gets a lease on no key.
     */
    public Lease acquire(String model) {
        if (keys.length == 0) {
            return new Lease(null, model);
        }
        long now = System.nanoTime();
        Key best = null;
        for (Key key : keys) {
            if (key.usable(now, model) && (best == null || key.inFlight.get() < best.inFlight.get())) {
                best = key;
            }
        }
        if (best == null) {
            return null;
        }
        best.inFlight.incrementAndGet();
        return new Lease(best, model);
    }

    /** How many keys can take a call for {@code model} right now. */
    public int usableKeys(String model) {
        long now = System.nanoTime();
        int usable = 0;
        for (Key key : keys) {
            if (key.usable(now, model)) {
                usable++;
            }
        }
        return keys.length == 0 ? 1 : usable;
    }

    /** How many keys the provider refused and are out of rotation: what the alert counts. */
    public int refusedKeys() {
        int refused = 0;
        for (Key key : keys) {
            if (key.refused) {
                refused++;
            }
        }
        return refused;
    }

    /** The keys out of rotation, to check whether the provider takes them again. */
    public List<String> refused() {
        List<String> refused = new ArrayList<>();
        for (Key key : keys) {
            if (key.refused) {
                refused.add(key.value);
            }
        }
        return refused;
    }

    /** The provider takes this key again: back into rotation, said once. */
    public void restore(String value) {
        for (Key key : keys) {
            if (key.value.equals(value) && key.refused) {
                key.refused = false;
                logger.info("Provider '" + provider + "' takes API key " + key.redacted() + " again; it is back in rotation");
            }
        }
    }

    /** One call's use of one key for one model. Releasing twice is harmless. */
    public final class Lease {

        private final Key key;
        private final String model;
        private boolean released;

        private Lease(Key key, String model) {
            this.key = key;
            this.model = model;
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

        /**
         * The provider rate limited this key: rest it for {@code duration}, for this lease's model only unless
         * {@code everyModel}, here and on every replica.
         */
        public void coolDown(Duration duration, boolean everyModel) {
            if (key != null) {
                long until = System.currentTimeMillis() + duration.toMillis();
                String restingFor = everyModel ? null : model;
                if (!key.restUntil(restingFor, until)) {
                    restingFor = null;
                }
                listener.cooledDown(provider, key.id, restingFor, until);
            }
        }

        /** The provider refused this key: out of rotation until a check finds it taken again; said once. */
        public void disable() {
            if (key != null && !key.refused) {
                key.refused = true;
                logger.warn("Provider '" + provider + "' refused API key " + key.redacted()
                        + "; it is out of rotation until the status probe finds it accepted again");
            }
        }
    }

    private static final class Key {
        final String value;
        final String id;
        final AtomicInteger inFlight = new AtomicInteger();
        volatile long coolUntil = System.nanoTime();
        /** Rests for single models, by nanoTime; empty on the common path, so acquiring skips the lookup. */
        final Map<String, Long> modelsCoolUntil = new ConcurrentHashMap<>();
        volatile boolean refused;

        Key(String value) {
            this.value = value;
            this.id = fingerprint(value);
        }

        /**
         * Rests this key for {@code model}, or for every model when it is {@code null} or too many models rest
         * already; wall-clock time, so that replicas agree, kept as nanoTime, which never jumps. Returns whether
         * the rest is for {@code model} alone.
         */
        boolean restUntil(String model, long untilEpochMillis) {
            long now = System.nanoTime();
            long until = now + (untilEpochMillis - System.currentTimeMillis()) * 1_000_000;
            if (model != null) {
                modelsCoolUntil.values().removeIf(end -> now - end >= 0);
                if (modelsCoolUntil.size() < MAX_MODEL_COOLDOWNS || modelsCoolUntil.containsKey(model)) {
                    modelsCoolUntil.merge(model, until, (old, next) -> next - old > 0 ? next : old);
                    return true;
                }
            }
            if (until - coolUntil > 0) {
                coolUntil = until;
            }
            return false;
        }

        boolean usable(long now, String model) {
            if (refused || now - coolUntil < 0) {
                return false;
            }
            if (model == null || modelsCoolUntil.isEmpty()) {
                return true;
            }
            Long until = modelsCoolUntil.get(model);
            return until == null || now - until >= 0;
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
