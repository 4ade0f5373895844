package dev.sluice.gateway.provider.key;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KeyPoolTests {

    private final KeyPool pool = new KeyPool("groq", List.of("key-a", "key-b", "key-c"));

    @Test
    void aCallGetsTheKeyWithTheFewestCallsInFlight() {
        KeyPool.Lease first = pool.acquire();
        KeyPool.Lease second = pool.acquire();
        KeyPool.Lease third = pool.acquire();

        assertThat(List.of(first.key(), second.key(), third.key())).as("one call on each key")
                .containsExactlyInAnyOrder("key-a", "key-b", "key-c");

        second.release();
        assertThat(pool.acquire().key()).as("the key that just freed up").isEqualTo(second.key());
    }

    @Test
    void aKeyCoolingDownIsSkippedUntilItsTimeIsUp() {
        KeyPool.Lease limited = pool.acquire();
        limited.coolDown(Duration.ofHours(1));
        limited.release();

        for (int i = 0; i < 10; i++) {
            assertThat(pool.acquire().key()).isNotEqualTo(limited.key());
        }
        assertThat(pool.usableKeys()).isEqualTo(2);
    }

    @Test
    void aRefusedKeyLeavesTheRotation() {
        KeyPool.Lease refused = pool.acquire();
        refused.disable();
        refused.release();

        assertThat(pool.usableKeys()).isEqualTo(2);
    }

    @Test
    void whenEveryKeyRestsThereIsNoLease() {
        for (int i = 0; i < 3; i++) {
            pool.acquire().coolDown(Duration.ofMinutes(1));
        }

        assertThat(pool.acquire()).as("no usable key: the router moves to the next target").isNull();
    }

    @Test
    void aProviderWithoutKeysGetsALeaseOnNoKey() {
        KeyPool keyless = new KeyPool("ollama", List.of());

        assertThat(keyless.acquire().key()).isNull();
    }

    @Test
    void releasingTwiceCountsOnce() {
        KeyPool single = new KeyPool("one", List.of("only"));
        KeyPool.Lease lease = single.acquire();
        lease.release();
        lease.release();
        KeyPool.Lease a = single.acquire();
        KeyPool.Lease b = single.acquire();

        assertThat(a.key()).isEqualTo(b.key()).isEqualTo("only");
    }
}
