package dev.sluice.gateway.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Fields of a JSON object kept as they were written, for what a protocol says that the neutral model does not model:
 * the names in order, each value its raw JSON text, to be written back verbatim by an adapter of the same protocol.
 * Immutable; {@link #EMPTY} is what nearly every request and reply carries, and costs nothing.
 */
public record JsonFields(List<Field> fields) {

    public static final JsonFields EMPTY = new JsonFields(List.of());

    /** @param json the value as JSON text: {@code "low"}, {@code 42}, {@code {"type":"content"}} */
    public record Field(String name, String json) {
    }

    public JsonFields {
        fields = List.copyOf(fields);
    }

    /** One field. */
    public static JsonFields of(String name, String json) {
        return new JsonFields(List.of(new Field(name, json)));
    }

    public boolean isEmpty() {
        return fields.isEmpty();
    }

    /** The name of the first field, for a refusal that names it. */
    public String firstName() {
        return fields.get(0).name();
    }

    /** The raw JSON of the field of this name, or {@code null}. */
    public String get(String name) {
        for (Field field : fields) {
            if (field.name().equals(name)) {
                return field.json();
            }
        }
        return null;
    }

    /** These fields without those named {@code names}. */
    public JsonFields without(Set<String> names) {
        if (fields.stream().noneMatch(field -> names.contains(field.name()))) {
            return this;
        }
        return new JsonFields(fields.stream().filter(field -> !names.contains(field.name())).toList());
    }

    /** These fields with {@code later}'s over them: each of {@code later} replaces the one of its name, or is added. */
    public JsonFields with(JsonFields later) {
        if (later.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return later;
        }
        Builder merged = new Builder();
        for (Field field : fields) {
            if (later.get(field.name()) == null) {
                merged.add(field.name(), field.json());
            }
        }
        for (Field field : later.fields) {
            merged.add(field.name(), field.json());
        }
        return merged.build();
    }

    /** The characters of every name and value: what a token estimate or a size limit counts. */
    public long length() {
        long chars = 0;
        for (Field field : fields) {
            chars += field.name().length() + field.json().length();
        }
        return chars;
    }

    /** Collects fields in order; builds {@link #EMPTY} when none was added. */
    public static final class Builder {

        private List<Field> fields;

        public Builder add(String name, String json) {
            if (fields == null) {
                fields = new ArrayList<>(2);
            }
            fields.add(new Field(name, json));
            return this;
        }

        /** One field. */
    public static JsonFields of(String name, String json) {
        return new JsonFields(List.of(new Field(name, json)));
    }

    public boolean isEmpty() {
            return fields == null;
        }

        public JsonFields build() {
            return fields == null ? EMPTY : new JsonFields(fields);
        }
    }
}
