package dev.sluice.gateway.chat;

import java.util.function.Consumer;

import dev.sluice.gateway.llm.ChatChunk;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The one operator of a chat that every chunk goes through on its way to the client: it adds the chunk to the
 * {@link Tally}. It also marks the reply's start ({@code started}, given the subscriber's context) and its end,
 * however it ends: the tally is ended and {@code ended} runs once, before the signal goes on (so that what the end
 * stores, the edge can report), or before the cancel goes upstream.
 */
final class TallyOperator extends FluxOperator<ChatChunk, ChatChunk> {

    private static final Logger log = LoggerFactory.getLogger(TallyOperator.class);

    private final Tally tally;
    private final Consumer<ContextView> started;
    private final Runnable ended;

    TallyOperator(Flux<ChatChunk> reply, Tally tally, Consumer<ContextView> started, Runnable ended) {
        super(reply);
        this.tally = tally;
        this.started = started;
        this.ended = ended;
    }

    @Override
    public void subscribe(CoreSubscriber<? super ChatChunk> actual) {
        started.accept(actual.currentContext());
        source.subscribe(new Tallying(actual));
    }

    private final class Tallying implements CoreSubscriber<ChatChunk>, Subscription {

        private final CoreSubscriber<? super ChatChunk> actual;
        private Subscription upstream;

        Tallying(CoreSubscriber<? super ChatChunk> actual) {
            this.actual = actual;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.validate(upstream, subscription)) {
                upstream = subscription;
                actual.onSubscribe(this);
            }
        }

        @Override
        public void onNext(ChatChunk chunk) {
            tally.add(chunk);
            actual.onNext(chunk);
        }

        @Override
        public void onError(Throwable failure) {
            end(Tally.Outcome.FAILED, failure);
            actual.onError(failure);
        }

        @Override
        public void onComplete() {
            end(Tally.Outcome.COMPLETED, null);
            actual.onComplete();
        }

        @Override
        public void request(long n) {
            upstream.request(n);
        }

        @Override
        public void cancel() {
            end(Tally.Outcome.CANCELLED, null);
            upstream.cancel();
        }

        /** A stage that fails at the end must not change how the reply ends for the client. */
        private void end(Tally.Outcome outcome, Throwable failure) {
            if (!tally.end(outcome, failure)) {
                return;
            }
            try {
                ended.run();
            }
            catch (RuntimeException bug) {
                log.warn("A chat's end could not be recorded", bug);
            }
        }
    }
}
