package dev.sluice.gateway.auth;

import dev.sluice.gateway.web.GatewayException;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/**
 * The end user a request is made for, with {@code sluice.auth.end-users.enabled}: {@code X-Sluice-End-User}, else the
 * body's {@code user}. The header wins because it is Sluice's own and set on purpose, where an SDK may fill
 * {@code user} with an opaque value of its own. Disabled, there is no end user: {@code user} goes upstream as it came,
 * and nothing is read.
 */
@Component
public class EndUsers {

    public static final String HEADER = "X-Sluice-End-User";

    private final boolean enabled;
    private final int maxLength;

    public EndUsers(AuthProperties properties) {
        this.enabled = properties.endUsers().enabled();
        this.maxLength = properties.endUsers().maxLength();
    }

    /** The end user named by the request, or {@code null} (none named, or end users are off); a 400 when it is malformed. */
    public String of(HttpHeaders headers, String bodyUser) {
        if (!enabled) {
            return null;
        }
        String header = headers.getFirst(HEADER);
        if (header != null) {
            return checked(header, HEADER);
        }
        return bodyUser == null ? null : checked(bodyUser, "user");
    }

    private String checked(String endUser, String field) {
        if (endUser.isBlank()) {
            throw GatewayException.invalid(field, "must name the end user, not be blank");
        }
        if (endUser.length() > maxLength) {
            throw GatewayException.invalid(field, "must be at most " + maxLength + " characters");
        }
        for (int i = 0; i < endUser.length(); i++) {
            if (Character.isISOControl(endUser.charAt(i))) {
                throw GatewayException.invalid(field, "must not contain control characters");
            }
        }
        return endUser;
    }
}
