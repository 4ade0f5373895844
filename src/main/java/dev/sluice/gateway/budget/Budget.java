package dev.sluice.gateway.budget;

import java.util.Locale;
import java.util.UUID;

/**
 * One budget that applies to a call: whose it is ({@code scope} and its id: a user, or a personal API key), over which
 * period, and how much it allows, in micro-USD. A call goes ahead only when every budget that applies to it has room.
 *
 * @param limitMicros the most the scope may spend in one period, in micro-USD (1 USD = 1,000,000)
 */
public record Budget(Scope scope, UUID scopeId, BudgetPeriod period, long limitMicros) {

    /** Whose budget it is; stored as its label, so the ledger holds any kind with the same statements. */
    public enum Scope {
        USER, KEY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The alert threshold: {@code alertAt} of the limit, in micro-USD, rounded down. */
    long alertMicros(double alertAt) {
        return (long) Math.floor(limitMicros * alertAt);
    }

    /** "daily budget of the user", "monthly budget of the API key": what a refusal names. */
    String describe() {
        return period.label() + " budget of the " + (scope == Scope.USER ? "user" : "API key");
    }
}
