package dev.sluice.gateway.auth;

import dev.sluice.gateway.web.Ids;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * BCrypt hashing, deliberately slow (tens of milliseconds), so it runs on a small pool of its own with a
 * bounded queue: never on an event loop, and a burst of logins cannot pile up without limit.
 */
@Component
public class Passwords implements DisposableBean {

    private final BCryptPasswordEncoder encoder = new BCryptPasswordEncoder();
    private final Scheduler hashing = Schedulers.newBoundedElastic(2, 256, "password-hashing");
    /** A real hash of something no one knows, checked when an email is unknown so that timing does not tell. */
    private final String dummyHash = encoder.encode(Ids.hex());

    public Mono<String> hash(String password) {
        return Mono.fromCallable(() -> encoder.encode(password)).subscribeOn(hashing);
    }

    /** Whether the password matches; with a {@code null} hash it burns the same time and says no. */
    public Mono<Boolean> matches(String password, String hash) {
        return Mono.fromCallable(() -> encoder.matches(password, hash == null ? dummyHash : hash) && hash != null)
                .subscribeOn(hashing);
    }

    @Override
    public void destroy() {
        hashing.dispose();
    }
}
