package dev.sluice.gateway.status;

import java.util.List;

import reactor.core.publisher.Mono;

/** Where each probe round's statuses are kept beyond this replica's memory: the {@code provider_status} table. */
@FunctionalInterface
interface ProviderStatusLog {

    /** Keeps one round; completes empty, also when it could not (a status history is not worth an error). */
    Mono<Void> record(List<ProviderStatus> round);
}
