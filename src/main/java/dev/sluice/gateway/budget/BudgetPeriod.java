package dev.sluice.gateway.budget;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;

import dev.sluice.gateway.auth.KeyScope;

/** The span a budget covers: a UTC day, or a UTC calendar month. A period is named by the day it began. */
public enum BudgetPeriod {

    DAILY {
        @Override
        public LocalDate start(LocalDate today) {
            return today;
        }

        @Override
        LocalDate next(LocalDate start) {
            return start.plusDays(1);
        }
    },
    MONTHLY {
        @Override
        public LocalDate start(LocalDate today) {
            return today.withDayOfMonth(1);
        }

        @Override
        LocalDate next(LocalDate start) {
            return start.plusMonths(1);
        }
    };

    /** The period of a key's {@code budget_period}. */
    static BudgetPeriod of(KeyScope.BudgetPeriod keyPeriod) {
        return keyPeriod == KeyScope.BudgetPeriod.MONTHLY ? MONTHLY : DAILY;
    }

    /** The first day of the period that holds {@code today}. */
    public abstract LocalDate start(LocalDate today);

    /** The first day of the period after the one that began on {@code start}. */
    abstract LocalDate next(LocalDate start);

    /** When the period that began on {@code start} ends, and its budget is whole again: 00:00 UTC of the next. */
    public Instant end(LocalDate start) {
        return next(start).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** Whole seconds from {@code now} to the end of the period, rounded up and at least 1: a {@code Retry-After}. */
    public Duration untilEnd(LocalDate start, Instant now) {
        long millis = Duration.between(now, end(start)).toMillis();
        return Duration.ofSeconds(Math.max(1, (millis + 999) / 1000));
    }

    /** {@code daily} or {@code monthly}, as stored and shown. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The word for the period in a sentence: "today", "this month". */
    String span() {
        return this == DAILY ? "today" : "this month";
    }
}
