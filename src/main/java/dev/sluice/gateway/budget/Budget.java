package dev.sluice.gateway.budget;

import java.util.Locale;
import java.util.UUID;

/**
 * One budget that applies to a call: whose it is ({@code scope} and its id: a user, a personal API key, or an end user
 * of one), over which period, and how much it allows, in micro-USD. A call goes ahead only when every budget that
 * applies to it has room.
 *
 * @param limitMicros the most the scope may spend in one period, in micro-USD (1 USD = 1,000,000)
 */
public record Budget(Scope scope, UUID scopeId, BudgetPeriod period, long limitMicros) {

    /**
     * Whose budget it is; stored as its label ({@code budget_usage.scope_kind}, 8 characters at most), so the ledger
     * holds any kind with the same statements.
     */
    public enum Scope {
        USER("user"), KEY("API key"), END_USER("end user");

        private final String noun;

        Scope(String noun) {
            this.noun = noun;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The alert threshold: {@code alertAt} of the limit, in micro-USD, rounded down. */
    long alertMicros(double alertAt) {
        return (long) Math.floor(limitMicros * alertAt);
    }

    /** "daily budget of the user", "monthly budget of the API key", "daily budget of the end user": what a refusal names. */
    String describe() {
        return period.label() + " budget of the " + scope.noun;
    }
}
