package dev.sluice.gateway.auth;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;

import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import dev.sluice.gateway.web.Ids;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * BCrypt hashing, deliberately slow (tens of milliseconds), so it runs on a small pool of its own with a
 * bounded queue: never on an event loop, and a burst of logins cannot pile up without limit. A password
 * check that finds the queue full is refused with a 503 and {@code Retry-After}: the gateway is busy, and
 * the client did nothing wrong.
 */
@Component
public class Passwords implements DisposableBean {

    static final int THREADS = 2;
    static final int QUEUE = 256;
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final BCryptPasswordEncoder encoder;
    private final Scheduler hashing;
    /** A real hash of something no one knows, checked when an email is unknown so that timing does not tell. */
    private final String dummyHash;

    @Autowired
    public Passwords(AuthProperties properties) {
        this(properties.passwordStrength(), Schedulers.newBoundedElastic(THREADS, QUEUE, "password-hashing"));
    }

    Passwords(int strength, Scheduler hashing) {
        this.encoder = new BCryptPasswordEncoder(strength);
        this.hashing = hashing;
        this.dummyHash = encoder.encode(Ids.hex());
    }

    public Mono<String> hash(String password) {
        return onPool(Mono.fromCallable(() -> encoder.encode(password)));
    }

    /** Whether the password matches; with a {@code null} hash it burns the same time and says no. */
    public Mono<Boolean> matches(String password, String hash) {
        return onPool(Mono.fromCallable(() -> encoder.matches(password, hash == null ? dummyHash : hash) && hash != null));
    }

    private <T> Mono<T> onPool(Mono<T> work) {
        return work.subscribeOn(hashing)
                .onErrorMap(RejectedExecutionException.class, full -> new GatewayException(ErrorCode.OVERLOADED,
                        "Too many sign-ins at once; try again in a moment", null, RETRY_AFTER));
    }

    @Override
    public void destroy() {
        hashing.dispose();
    }
}
