package dev.sluice.gateway.auth.apikey;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.sluice.gateway.auth.KeyScope;
import dev.sluice.gateway.web.GatewayException;
import tools.jackson.databind.JsonNode;

/**
 * The fields of a {@code POST} or {@code PATCH /api/v1/keys} body, checked, as the columns they set. A field that is
 * absent is not set (on a {@code PATCH}: unchanged); one that is {@code null} is cleared, except {@code name}, which a
 * key always has. {@code budget_usd} and {@code budget_period} come together, and {@code budget_usd: null} clears both.
 * Anything wrong is a 400 naming the field.
 */
final class KeyFields {

    static final int MAX_NAME = 100;
    static final int MAX_LABEL = 500;
    static final int MAX_MODELS = 100;
    static final int MAX_MODEL_NAME = 200;
    static final int MAX_PER_MINUTE = 1_000_000_000;
    static final BigDecimal MAX_BUDGET = new BigDecimal("100000000");
    private static final Set<String> KNOWN = Set.of("name", "models", "requests_per_minute", "tokens_per_minute",
            "budget_usd", "budget_period", "expires_at", "label");

    /** One column's new value, {@code null} included, with its type for binding a {@code null}. */
    record Column(Object value, Class<?> type) {
    }

    private final Map<String, Column> columns;

    private KeyFields(Map<String, Column> columns) {
        this.columns = Collections.unmodifiableMap(columns);
    }

    /** The columns to set, by name, in the order of the API's fields. */
    Map<String, Column> columns() {
        return columns;
    }

    /** {@code body} checked; {@code now} is what {@code expires_at} must be after. */
    static KeyFields read(JsonNode body, Instant now) {
        if (!body.isObject()) {
            throw GatewayException.invalid("body", "must be a JSON object");
        }
        for (String field : body.propertyNames()) {
            if (!KNOWN.contains(field)) {
                throw GatewayException.invalid(field, "is not a field of an API key (" + String.join(", ", KNOWN.stream().sorted().toList()) + ")");
            }
        }
        Map<String, Column> columns = new LinkedHashMap<>();
        JsonNode name = body.get("name");
        if (name != null) {
            columns.put("name", new Column(name(name), String.class));
        }
        JsonNode models = body.get("models");
        if (models != null) {
            columns.put("models", new Column(models.isNull() ? null : String.join(" ", models(models)), String.class));
        }
        perMinute(body, "requests_per_minute", columns);
        perMinute(body, "tokens_per_minute", columns);
        budget(body, columns);
        JsonNode expiresAt = body.get("expires_at");
        if (expiresAt != null) {
            columns.put("expires_at", new Column(expiresAt.isNull() ? null : expiry(expiresAt, now), OffsetDateTime.class));
        }
        JsonNode label = body.get("label");
        if (label != null) {
            columns.put("label", new Column(label.isNull() ? null : text(label, "label", MAX_LABEL), String.class));
        }
        return new KeyFields(columns);
    }

    /** The models as stored, one space between names, back as the scope's set; {@code null} for any model. */
    static Set<String> models(String stored) {
        return stored == null ? null : Set.of(stored.split(" "));
    }

    private static String name(JsonNode name) {
        if (name.isNull() || (name.isString() && name.stringValue().isBlank())) {
            return "default";
        }
        return text(name, "name", MAX_NAME).strip();
    }

    private static List<String> models(JsonNode models) {
        if (!models.isArray() || models.isEmpty()) {
            throw GatewayException.invalid("models", "must be a non-empty array of alias or provider/model names (null for any model)");
        }
        if (models.size() > MAX_MODELS) {
            throw GatewayException.invalid("models", "must name at most " + MAX_MODELS + " models");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode model : models) {
            if (!model.isString() || model.stringValue().isEmpty() || model.stringValue().length() > MAX_MODEL_NAME
                    || model.stringValue().chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw GatewayException.invalid("models", "each must be a model name of 1 to " + MAX_MODEL_NAME
                        + " characters without spaces, as in GET /v1/models");
            }
            names.add(model.stringValue());
        }
        return new ArrayList<>(names);
    }

    private static void perMinute(JsonNode body, String field, Map<String, Column> columns) {
        JsonNode value = body.get(field);
        if (value == null) {
            return;
        }
        if (!value.isNull() && (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1
                || value.intValue() > MAX_PER_MINUTE)) {
            throw GatewayException.invalid(field, "must be a whole number from 1 to " + MAX_PER_MINUTE + " (null for no limit of its own)");
        }
        columns.put(field, new Column(value.isNull() ? null : value.intValue(), Integer.class));
    }

    private static void budget(JsonNode body, Map<String, Column> columns) {
        JsonNode usd = body.get("budget_usd");
        JsonNode period = body.get("budget_period");
        if (usd == null && period == null) {
            return;
        }
        if (usd != null && usd.isNull()) {
            if (period != null && !period.isNull()) {
                throw GatewayException.invalid("budget_period", "has no budget_usd to apply to");
            }
            columns.put("budget_usd", new Column(null, BigDecimal.class));
            columns.put("budget_period", new Column(null, String.class));
            return;
        }
        if (usd == null) {
            throw GatewayException.invalid("budget_usd", "must come with budget_period");
        }
        if (!usd.isNumber() || usd.decimalValue().signum() <= 0 || usd.decimalValue().compareTo(MAX_BUDGET) > 0
                || usd.decimalValue().scale() > 6) {
            throw GatewayException.invalid("budget_usd", "must be a number of US dollars above 0 and at most "
                    + MAX_BUDGET.toPlainString() + ", with at most 6 decimals");
        }
        KeyScope.BudgetPeriod parsed = period == null || !period.isString() ? null : KeyScope.BudgetPeriod.of(period.stringValue());
        if (parsed == null) {
            throw GatewayException.invalid("budget_period", "must be daily or monthly, with budget_usd");
        }
        columns.put("budget_usd", new Column(usd.decimalValue(), BigDecimal.class));
        columns.put("budget_period", new Column(parsed.wire(), String.class));
    }

    private static OffsetDateTime expiry(JsonNode expiresAt, Instant now) {
        OffsetDateTime parsed;
        try {
            parsed = expiresAt.isString() ? OffsetDateTime.parse(expiresAt.stringValue()) : null;
        }
        catch (DateTimeParseException notRfc3339) {
            parsed = null;
        }
        if (parsed == null) {
            throw GatewayException.invalid("expires_at", "must be an RFC 3339 date and time with an offset, such as 2027-01-31T00:00:00Z");
        }
        if (!parsed.toInstant().isAfter(now)) {
            throw GatewayException.invalid("expires_at", "must be in the future (null for a key that does not expire)");
        }
        return parsed.withOffsetSameInstant(ZoneOffset.UTC);
    }

    private static String text(JsonNode node, String field, int max) {
        if (!node.isString()) {
            throw GatewayException.invalid(field, "must be a string");
        }
        String text = node.stringValue();
        if (text.length() > max) {
            throw GatewayException.invalid(field, "must be at most " + max + " characters");
        }
        if (text.indexOf('\0') >= 0) {
            throw GatewayException.invalid(field, "must not contain a NUL character");
        }
        return text;
    }
}
