package dev.sluice.gateway.routing;

import java.util.regex.Pattern;

import dev.sluice.gateway.web.GatewayException;

/**
 * What a model name may look like, checked as a request is read: a name goes into logs, metrics, the history
 * table's {@code model} column and the upstream's URL, so an unbounded or odd one is refused with a 400.
 */
public final class ModelNames {

    /** The longest name accepted; the history table's column holds 200 characters. */
    public static final int MAX_LENGTH = 200;

    /** Letters, digits and the punctuation real model names use: {@code meta-llama/llama-3.1-8b:free}, {@code a@b+c}. */
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._:/@+-]+");

    private ModelNames() {
    }

    /** Whether {@link #check} would take the name: an upstream's list is filtered with it. */
    public static boolean isValid(String model) {
        return model.length() <= MAX_LENGTH && ALLOWED.matcher(model).matches();
    }

    /** Refuses a name that is too long or holds other characters; {@code null} and blank are the reader's to refuse. */
    public static void check(String model) {
        if (model.length() > MAX_LENGTH) {
            throw GatewayException.invalid("model", "is " + model.length() + " characters long, over the limit of "
                    + MAX_LENGTH);
        }
        if (!ALLOWED.matcher(model).matches()) {
            throw GatewayException.invalid("model", "may only hold letters, digits and . _ : / @ + -");
        }
    }
}
