package dev.sluice.gateway.spend;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.UUID;

import dev.sluice.gateway.web.GatewayException;
import org.springframework.web.reactive.function.server.ServerRequest;

/**
 * A usage report's parameters: {@code from} and {@code to} (UTC days, both included; today and the 29 days before it
 * by default, at most {@value #MAX_DAYS} days), {@code group_by} ({@code day} by default, {@code model} or
 * {@code key}, and for admins {@code user}), and for admins {@code user} (one user's, else everyone's). A bad one is a
 * 400 naming it.
 */
record UsageQuery(LocalDate from, LocalDate to, GroupBy groupBy, UUID user) {

    static final int MAX_DAYS = 366;
    private static final int DEFAULT_DAYS = 30;

    /**
     * What the report's items are, and the columns that say it: the item's own ({@code day}, {@code model},
     * {@code key}, {@code user}) and, for keys and users, the name a person reads.
     */
    enum GroupBy {
        DAY("r.usage_date", null, null, "", false),
        MODEL("r.model", null, null, "", false),
        KEY("r.api_key_id", "k.name", "key_name", " LEFT JOIN api_keys k ON k.id = r.api_key_id", true),
        USER("r.user_id", "u.email", "email", " JOIN users u ON u.id = r.user_id", true);

        final String column;
        final String labelColumn;
        final String labelName;
        final String join;
        /** Items come dearest first: who spent most is what a long list is read for. */
        final boolean dearestFirst;

        GroupBy(String column, String labelColumn, String labelName, String join, boolean dearestFirst) {
            this.column = column;
            this.labelColumn = labelColumn;
            this.labelName = labelName;
            this.join = join;
            this.dearestFirst = dearestFirst;
        }

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The parameters that make {@code GET /api/v1/admin/usage} a report rather than the day's quota usage. */
    static boolean asked(ServerRequest request) {
        return request.queryParam("from").isPresent() || request.queryParam("to").isPresent()
                || request.queryParam("group_by").isPresent() || request.queryParam("user").isPresent();
    }

    /** The caller's own report. */
    static UsageQuery own(ServerRequest request, UUID caller) {
        return of(request, caller, false);
    }

    /** An admin's report, of every user or of {@code user}. */
    static UsageQuery admin(ServerRequest request) {
        return of(request, request.queryParam("user").map(UsageQuery::user).orElse(null), true);
    }

    private static UsageQuery of(ServerRequest request, UUID user, boolean admin) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate to = request.queryParam("to").map(text -> day("to", text)).orElse(today);
        LocalDate from = request.queryParam("from").map(text -> day("from", text)).orElse(to.minusDays(DEFAULT_DAYS - 1));
        if (from.isAfter(to)) {
            throw GatewayException.invalid("from", "must not be after to (" + to + ")");
        }
        long days = ChronoUnit.DAYS.between(from, to) + 1;
        if (days > MAX_DAYS) {
            throw GatewayException.invalid("from", "the range spans " + days + " days, over the limit of " + MAX_DAYS);
        }
        GroupBy groupBy = request.queryParam("group_by").map(text -> groupBy(text, admin)).orElse(GroupBy.DAY);
        return new UsageQuery(from, to, groupBy, user);
    }

    private static LocalDate day(String name, String text) {
        try {
            return LocalDate.parse(text);
        }
        catch (DateTimeParseException notADay) {
            throw GatewayException.invalid(name, "must be a day as YYYY-MM-DD");
        }
    }

    private static GroupBy groupBy(String text, boolean admin) {
        for (GroupBy candidate : GroupBy.values()) {
            if (candidate.wireName().equals(text) && (admin || candidate != GroupBy.USER)) {
                return candidate;
            }
        }
        throw GatewayException.invalid("group_by", "must be day, model" + (admin ? ", key or user" : " or key"));
    }

    private static UUID user(String text) {
        try {
            return UUID.fromString(text);
        }
        catch (IllegalArgumentException notAnId) {
            throw GatewayException.invalid("user", "must be a user id");
        }
    }
}
