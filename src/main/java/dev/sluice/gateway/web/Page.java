package dev.sluice.gateway.web;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The shape of every list endpoint: a page of items, and the cursor for the next page ({@code null} at the end). */
public record Page<T>(List<T> items, @JsonProperty("next_cursor") String nextCursor) {

    public static <T> Page<T> of(List<T> items) {
        return new Page<>(items, null);
    }
}
