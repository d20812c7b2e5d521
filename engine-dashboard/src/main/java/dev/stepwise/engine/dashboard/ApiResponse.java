package dev.stepwise.engine.dashboard;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What {@link DashboardApi} answers: a status, headers and a body, for any web server to send.
 *
 * @param status      the HTTP status
 * @param contentType the body's media type (empty body: still set, unused)
 * @param headers     extra headers (e.g. {@code ETag}, {@code Allow}, {@code Content-Disposition})
 * @param body        the body (empty for 304)
 */
public record ApiResponse(int status, String contentType, Map<String, String> headers, byte[] body) {
    /** Media type of every JSON answer. */
    public static final String JSON_TYPE = "application/json; charset=utf-8";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Validates and copies. */
    public ApiResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be 100-599, was " + status);
        }
        Objects.requireNonNull(contentType, "contentType");
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    /**
     * @param status the status
     * @param json   the body
     * @return a JSON answer
     */
    public static ApiResponse json(int status, JsonNode json) {
        return new ApiResponse(status, JSON_TYPE, Map.of(), JSON.writeValueAsBytes(json));
    }

    /**
     * An error: {@code {"status": 404, "error": "not_found", "message": "..."}}.
     *
     * @param status  the status
     * @param message what went wrong and what to do
     * @return the answer
     */
    public static ApiResponse error(int status, String message) {
        return json(status, errorBody(status, message));
    }

    /**
     * @param status  the status
     * @param message the message
     * @return the error body, to add fields to
     */
    public static ObjectNode errorBody(int status, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("status", status);
        n.put("error", reason(status));
        n.put("message", message);
        return n;
    }

    /**
     * @param name  a header name
     * @param value its value
     * @return this answer with that header
     */
    public ApiResponse withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new ApiResponse(status, contentType, h, body);
    }

    /**
     * @param name a header name (exact case as set)
     * @return its value
     */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name));
    }

    /** @return the body as UTF-8 text */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 409 -> "conflict";
            case 413 -> "payload_too_large";
            case 503 -> "unavailable";
            default -> status >= 500 ? "server_error" : "error";
        };
    }
}
