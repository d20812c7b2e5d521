package dev.stepwise.engine.dashboard.internal;

import dev.stepwise.engine.dashboard.ApiRequest;
import dev.stepwise.engine.dashboard.ApiResponse;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who may do what: the {@code Host} check on a loopback address (DNS rebinding), the token on
 * every API request when one is set, and on a loopback address without a token a same-origin
 * custom header on every request that changes something (CSRF: a foreign page cannot send it
 * without a CORS preflight, which is never granted).
 */
public final class AccessPolicy {
    /** Header that carries the token (or {@code Authorization: Bearer TOKEN}). */
    public static final String TOKEN_HEADER = "X-Stepwise-Token";
    /** Custom header that every changing request of the page sends (any non-empty value). */
    public static final String REQUEST_HEADER = "X-Stepwise-Request";

    private static final Set<String> SAFE = Set.of("GET", "HEAD");

    private final boolean loopback;
    private final String bindLiteral;
    private final byte[] token;
    private volatile int port;

    /**
     * @param bind  the address served
     * @param token the token, or empty
     */
    public AccessPolicy(InetAddress bind, Optional<String> token) {
        this.loopback = bind.isLoopbackAddress();
        String literal = bind.getHostAddress();
        this.bindLiteral = literal.contains(":") ? "[" + literal + "]" : literal;
        this.token = token.map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    /** @param port the port actually bound (checked in the {@code Host} header) */
    public void port(int port) {
        this.port = port;
    }

    /** @return whether a token is required */
    public boolean hasToken() {
        return token != null;
    }

    /**
     * @param r a request
     * @return the refusal, or empty when it may proceed
     */
    public Optional<ApiResponse> check(ApiRequest r) {
        if (loopback && !hostAllowed(r.header("Host").orElse(""))) {
            return Optional.of(ApiResponse.error(403, "Host header '" + r.header("Host").orElse("")
                    + "' is not allowed: on a loopback address the dashboard answers only to localhost, 127.0.0.1"
                    + " and [::1] with its port (DNS rebinding protection); open http://localhost:" + port + "/"));
        }
        boolean api = r.path().equals("/api") || r.path().startsWith("/api/");
        if (!api) {
            return Optional.empty();
        }
        if (token != null) {
            if (!tokenMatches(r)) {
                return Optional.of(ApiResponse.error(401, "this dashboard needs its token: send it in the "
                        + TOKEN_HEADER + " header (or Authorization: Bearer TOKEN)"));
            }
            return Optional.empty();
        }
        if (!SAFE.contains(r.method())) {
            if (r.header(REQUEST_HEADER).map(String::isBlank).orElse(true)) {
                return Optional.of(ApiResponse.error(403, "a request that changes something needs the "
                        + REQUEST_HEADER + " header (the dashboard's page sends it; a foreign page cannot)"));
            }
            Optional<String> origin = r.header("Origin");
            if (origin.isPresent() && !origin.get().equalsIgnoreCase("http://" + r.header("Host").orElse(""))) {
                return Optional.of(ApiResponse.error(403, "Origin '" + origin.get() + "' is not this dashboard"));
            }
        }
        return Optional.empty();
    }

    private boolean tokenMatches(ApiRequest r) {
        String given = r.header(TOKEN_HEADER).orElse(null);
        if (given == null) {
            String auth = r.header("Authorization").orElse("");
            if (auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                given = auth.substring(7).strip();
            }
        }
        return given != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8));
    }

    private boolean hostAllowed(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        String name = h;
        String portPart = null;
        int colon = h.lastIndexOf(':');
        if (colon > 0 && h.indexOf(']') < colon) {
            name = h.substring(0, colon);
            portPart = h.substring(colon + 1);
        }
        if (portPart != null && !portPart.equals(Integer.toString(port))) {
            return false;
        }
        if (portPart == null && port != 80) {
            return false;
        }
        return name.equals("localhost") || name.equals("127.0.0.1") || name.equals("[::1]") || name.equals(bindLiteral);
    }
}
