package dev.stepwise.engine.dashboard;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP request as {@link DashboardApi} sees it, independent of any web server: a host that
 * mounts the API on its own server builds one per request.
 *
 * @param method  the HTTP method, upper case
 * @param path    the decoded path, e.g. {@code /api/jobs/01J.../logs}
 * @param query   query parameters (the first value of each name)
 * @param headers request headers by lower-case name (the first value of each)
 * @param body    the request body (empty for none)
 */
public record ApiRequest(String method, String path, Map<String, String> query, Map<String, String> headers, byte[] body) {

    /** Validates and copies; header names become lower case. */
    public ApiRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        method = method.toUpperCase(Locale.ROOT);
        query = Map.copyOf(query);
        Map<String, String> lower = new LinkedHashMap<>();
        headers.forEach((k, v) -> lower.putIfAbsent(k.toLowerCase(Locale.ROOT), v));
        headers = Map.copyOf(lower);
        body = body == null ? new byte[0] : body;
    }

    /**
     * @param method     the HTTP method
     * @param pathQuery  path and optional query string, e.g. {@code /api/jobs?status=failed}
     * @return a request without headers or body
     */
    public static ApiRequest of(String method, String pathQuery) {
        int q = pathQuery.indexOf('?');
        String path = q < 0 ? pathQuery : pathQuery.substring(0, q);
        return new ApiRequest(method, path, parseQuery(q < 0 ? null : pathQuery.substring(q + 1)), Map.of(), null);
    }

    /**
     * @param raw a raw query string ({@code a=1&b=x%20y}), or null
     * @return its parameters, decoded; the first value of a repeated name wins
     */
    public static Map<String, String> parseQuery(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(name, value);
        }
        return out;
    }

    /**
     * @param name a header name (any case)
     * @return its value
     */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }

    /**
     * @param name  a header name
     * @param value its value
     * @return this request with that header
     */
    public ApiRequest withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name.toLowerCase(Locale.ROOT), value);
        return new ApiRequest(method, path, query, h, body);
    }

    /**
     * @param bytes the body
     * @return this request with that body
     */
    public ApiRequest withBody(byte[] bytes) {
        return new ApiRequest(method, path, query, headers, bytes);
    }
}
