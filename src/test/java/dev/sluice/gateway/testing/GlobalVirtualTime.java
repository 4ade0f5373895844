package dev.sluice.gateway.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * Marks a test class that installs Reactor's virtual time globally ({@code StepVerifier.withVirtualTime},
 * {@code VirtualTimeScheduler.getOrSet}). That replaces {@code Schedulers.parallel()} for every thread in the JVM,
 * so the background timers of the Spring contexts other tests keep cached would land on it; one of them scheduling
 * from a non-blocking thread trips BlockHound inside the scheduler's drain and leaves it stuck, and the test then
 * waits forever. Surefire runs these classes in a JVM of their own (the {@code virtual-time} execution in the pom).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(GlobalVirtualTime.TAG)
public @interface GlobalVirtualTime {

    String TAG = "virtual-time";
}
