package dev.sluice.gateway.ratelimit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** An account's chats in flight: up to the cap, and each slot given back makes room for one more. */
class StreamSlotsTests {

    private final StreamSlots slots = new StreamSlots(2);

    @Test
    void anAccountTakesUpToItsCapAndNoMore() {
        assertThat(slots.tryAcquire("user-1")).isTrue();
        assertThat(slots.tryAcquire("user-1")).isTrue();

        assertThat(slots.tryAcquire("user-1")).as("a third at once").isFalse();
        assertThat(slots.tryAcquire("user-2")).as("another account has slots of its own").isTrue();
    }

    @Test
    void aSlotGivenBackMakesRoomForOneMore() {
        slots.tryAcquire("user-1");
        slots.tryAcquire("user-1");

        slots.release("user-1");

        assertThat(slots.tryAcquire("user-1")).isTrue();
        assertThat(slots.tryAcquire("user-1")).as("only one came back").isFalse();
    }

    @Test
    void aRefusedAttemptTakesNothing() {
        slots.tryAcquire("user-1");
        slots.tryAcquire("user-1");
        slots.tryAcquire("user-1");

        slots.release("user-1");
        slots.release("user-1");

        assertThat(slots.tryAcquire("user-1")).isTrue();
        assertThat(slots.tryAcquire("user-1")).as("both slots free again, the refusal held none").isTrue();
    }
}
