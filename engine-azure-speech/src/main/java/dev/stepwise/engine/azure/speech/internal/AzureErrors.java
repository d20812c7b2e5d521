package dev.stepwise.engine.azure.speech.internal;

import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Redactor;
import dev.stepwise.engine.api.RetryAfter;
import dev.stepwise.engine.api.RetryableStepException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Turns an Azure Speech answer or transport failure into the engine's step exceptions: 429, 408 and
 * every 5xx, timeouts and connection errors are {@link RetryableStepException} (with the
 * {@code Retry-After} wait when the answer had one); 400, 401, 403, 404, 415 and every other 4xx are
 * {@link PermanentStepException} carrying the service's own message. Every text passed on is
 * redacted, and no exception that might hold the key is attached as a cause.
 */
public final class AzureErrors {
    private static final List<Integer> RETRYABLE_4XX = List.of(408, 429);
    static final int MAX_MESSAGE_CHARS = 500;

    private AzureErrors() {
    }

    /**
     * @param status     the HTTP status (not 2xx)
     * @param retryAfter the {@code Retry-After} header, or null
     * @param body       the answer's body
     * @param piece      which request of the synthesis (1-based) and of how many, for the message
     * @param key        redacts the key
     * @param clock      measures an HTTP-date {@code Retry-After}
     * @return the exception for the step to throw
     */
    public static RuntimeException status(int status, String retryAfter, byte[] body, String piece, Redactor key, Clock clock) {
        String message = key.redact(new String(body, StandardCharsets.UTF_8)).strip();
        String text = "Azure Speech answered " + status + " " + reason(status) + " (" + piece + "): "
                + (message.isEmpty() ? "(no message)" : clip(message));
        if (status >= 500 || RETRYABLE_4XX.contains(status)) {
            Optional<Duration> wait = RetryAfter.parse(retryAfter, clock);
            return wait.isPresent() ? new RetryableStepException(text + "; it asked to retry after " + wait.get().toMillis() + " ms",
                    wait.get(), null) : new RetryableStepException(text, null);
        }
        return new PermanentStepException(text);
    }

    /**
     * @param e       the transport failure
     * @param piece   which request, for the message
     * @param timeout the request timeout, for the message
     * @param key     redacts the key
     * @return a retryable exception that says whether it was a timeout
     */
    public static RuntimeException transport(java.io.IOException e, String piece, Duration timeout, Redactor key) {
        String what = e instanceof HttpTimeoutException
                ? "Azure Speech request timed out after " + timeout.toMillis() + " ms (provider 'timeout_ms')"
                : "Azure Speech request failed (connection)";
        String detail = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new RetryableStepException(what + " (" + piece + "): " + clip(key.redact(detail)), null);
    }

    private static String reason(int status) {
        switch (status) {
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 408: return "Request Timeout";
            case 415: return "Unsupported Media Type";
            case 429: return "Too Many Requests";
            case 500: return "Internal Server Error";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            default: return status >= 500 ? "Server Error" : "Error";
        }
    }

    static String clip(String s) {
        String one = s.replace('\n', ' ').replace('\r', ' ');
        return one.length() <= MAX_MESSAGE_CHARS ? one : one.substring(0, MAX_MESSAGE_CHARS) + "…";
    }
}
