package dev.sluice.gateway.provider.key;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KeyPoolTests {

    private static final String MODEL = "llama";

    private final KeyPool pool = new KeyPool("groq", List.of("key-a", "key-b", "key-c"));

    @Test
    void aCallGetsTheKeyWithTheFewestCallsInFlight() {
        KeyPool.Lease first = pool.acquire(MODEL);
        KeyPool.Lease second = pool.acquire(MODEL);
        KeyPool.Lease third = pool.acquire(MODEL);

        assertThat(List.of(first.key(), second.key(), third.key())).as("one call on each key")
                .containsExactlyInAnyOrder("key-a", "key-b", "key-c");

        second.release();
        assertThat(pool.acquire(MODEL).key()).as("the key that just freed up").isEqualTo(second.key());
    }

    @Test
    void aKeyCoolingDownIsSkippedUntilItsTimeIsUp() {
        KeyPool.Lease limited = pool.acquire(MODEL);
        limited.coolDown(Duration.ofHours(1), false);
        limited.release();

        for (int i = 0; i < 10; i++) {
            assertThat(pool.acquire(MODEL).key()).isNotEqualTo(limited.key());
        }
        assertThat(pool.usableKeys(MODEL)).isEqualTo(2);
    }

    @Test
    void a429ForOneModelLeavesTheKeyToTheProvidersOtherModels() {
        KeyPool single = new KeyPool("openrouter", List.of("only"));
        single.acquire("busy-model").coolDown(Duration.ofHours(1), false);

        assertThat(single.acquire("busy-model")).as("the key rests for the model that was rate limited").isNull();
        assertThat(single.acquire("other-model")).as("and still serves the others").isNotNull();
    }

    @Test
    void a429ThatSaysTheLimitIsTheKeysRestsItForEveryModel() {
        KeyPool single = new KeyPool("openai", List.of("only"));
        single.acquire("gpt-4o").coolDown(Duration.ofHours(1), true);

        assertThat(single.acquire("gpt-4o-mini")).as("an account out of quota serves no model").isNull();
    }

    @Test
    void aKeyRestingForTooManyModelsRestsForEveryModelRatherThanRememberMore() {
        KeyPool single = new KeyPool("openrouter", List.of("only"));
        for (int i = 0; i < KeyPool.MAX_MODEL_COOLDOWNS; i++) {
            single.acquire("model-" + i).coolDown(Duration.ofHours(1), false);
        }
        assertThat(single.acquire("fresh")).as("still under the bound").isNotNull();

        single.acquire("one-too-many").coolDown(Duration.ofHours(1), false);

        assertThat(single.acquire("fresh")).as("bounded memory: the key now rests for every model").isNull();
    }

    @Test
    void cooldownsAreAnnouncedWithTheirModelOrNoneWhenTheyHoldForEveryModel() {
        List<String> announced = new ArrayList<>();
        pool.onCooldown((provider, keyId, model, until) -> announced.add(provider + " " + model));

        pool.acquire(MODEL).coolDown(Duration.ofMinutes(1), false);
        pool.acquire(MODEL).coolDown(Duration.ofMinutes(1), true);

        assertThat(announced).containsExactly("groq llama", "groq null");
    }

    @Test
    void aRefusedKeyLeavesTheRotationUntilItIsRestored() {
        KeyPool.Lease refused = pool.acquire(MODEL);
        refused.disable();
        refused.release();

        assertThat(pool.usableKeys(MODEL)).isEqualTo(2);
        assertThat(pool.refusedKeys()).as("what the alert gauge reads").isEqualTo(1);
        assertThat(pool.refused()).containsExactly(refused.key());

        pool.restore(refused.key());

        assertThat(pool.usableKeys(MODEL)).isEqualTo(3);
        assertThat(pool.refusedKeys()).isZero();
    }

    @Test
    void whenEveryKeyRestsThereIsNoLease() {
        for (int i = 0; i < 3; i++) {
            pool.acquire(MODEL).coolDown(Duration.ofMinutes(1), false);
        }

        assertThat(pool.acquire(MODEL)).as("no usable key: the router moves to the next target").isNull();
    }

    @Test
    void aProviderWithoutKeysGetsALeaseOnNoKey() {
        KeyPool keyless = new KeyPool("ollama", List.of());

        assertThat(keyless.acquire(MODEL).key()).isNull();
    }

    @Test
    void releasingTwiceCountsOnce() {
        KeyPool single = new KeyPool("one", List.of("only"));
        KeyPool.Lease lease = single.acquire(MODEL);
        lease.release();
        lease.release();
        KeyPool.Lease a = single.acquire(MODEL);
        KeyPool.Lease b = single.acquire(MODEL);

        assertThat(a.key()).isEqualTo(b.key()).isEqualTo("only");
    }
}
