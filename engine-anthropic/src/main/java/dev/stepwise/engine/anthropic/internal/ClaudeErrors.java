package dev.stepwise.engine.anthropic.internal;

import com.anthropic.errors.AnthropicException;
import com.anthropic.errors.AnthropicInvalidDataException;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicServiceException;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Redactor;
import dev.stepwise.engine.api.RetryAfter;
import dev.stepwise.engine.api.RetryableStepException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Turns what the Anthropic SDK threw into the engine's step exceptions:
 * <ul>
 *   <li>429, 408, 409, 529 (overloaded) and every 5xx, timeouts and connection errors:
 *       {@link RetryableStepException}, with the wait of {@code retry-after-ms} or {@code retry-after}
 *       when the answer had one (the step's retry policy decides whether to retry);</li>
 *   <li>every other 4xx (400, 401, 403, 404, 413, 422, ...): {@link PermanentStepException}
 *       carrying the API's own message;</li>
 *   <li>a success answer that cannot be read: {@link RetryableStepException} without a wait, with a
 *       message that says so.</li>
 * </ul>
 * The SDK's exception is never attached as the cause: its message holds the whole error body,
 * which a server (or a proxy) may have filled with the API key. Every text passed on is redacted.
 */
public final class ClaudeErrors {
    /** Statuses below 500 that are worth another attempt. */
    private static final List<Integer> RETRYABLE_4XX = List.of(408, 409, 429);
    /** The most of an error text that goes into a message. */
    static final int MAX_MESSAGE_CHARS = 500;

    private ClaudeErrors() {
    }

    /**
     * @param e       what the SDK threw
     * @param key     redacts the API key
     * @param clock   measures an HTTP-date {@code retry-after}
     * @param timeout the request timeout, for the message of a timeout
     * @return the exception for the step to throw
     */
    public static RuntimeException map(AnthropicException e, Redactor key, Clock clock, Duration timeout) {
        if (e instanceof AnthropicServiceException s) {
            return service(s, key, clock);
        }
        if (e instanceof AnthropicIoException) {
            boolean timedOut = causedByTimeout(e);
            String msg = timedOut
                    ? "Claude request timed out after " + timeout.toMillis() + " ms (provider 'timeout_ms'): " + describe(e, key)
                    : "Claude request failed (connection): " + describe(e, key);
            return new RetryableStepException(msg, null);
        }
        if (e instanceof AnthropicInvalidDataException) {
            return new RetryableStepException("Claude's answer could not be read (malformed response body): "
                    + describe(e, key), null);
        }
        return new RetryableStepException("Claude request failed: " + describe(e, key), null);
    }

    private static RuntimeException service(AnthropicServiceException s, Redactor key, Clock clock) {
        int status = s.statusCode();
        String type = s.type().map(t -> t.asString()).orElse(reason(status));
        String message = s.apiMessage().map(key::redact).map(ClaudeErrors::clip).orElseGet(() -> bodyText(s, key));
        String requestId = s.requestId().map(id -> " (request-id " + key.redact(id) + ")").orElse("");
        String text = "Claude API answered " + status + " " + type + ": " + message + requestId;
        if (status >= 500 || RETRYABLE_4XX.contains(status)) {
            Optional<Duration> wait = retryAfter(s, clock);
            return wait.isPresent() ? new RetryableStepException(text + "; it asked to retry after "
                    + wait.get().toMillis() + " ms", wait.get(), null) : new RetryableStepException(text, null);
        }
        return new PermanentStepException(text);
    }

    private static Optional<Duration> retryAfter(AnthropicServiceException s, Clock clock) {
        Optional<Duration> ms = first(s, "retry-after-ms").flatMap(RetryAfter::parseMillis);
        return ms.isPresent() ? ms : first(s, "retry-after").flatMap(v -> RetryAfter.parse(v, clock));
    }

    private static Optional<String> first(AnthropicServiceException s, String header) {
        for (String name : s.headers().names()) {
            if (name.equalsIgnoreCase(header)) {
                List<String> values = s.headers().values(name);
                if (!values.isEmpty()) {
                    return Optional.of(values.get(0));
                }
            }
        }
        return Optional.empty();
    }

    private static String bodyText(AnthropicServiceException s, Redactor key) {
        String body;
        try {
            body = s.body().toString();
        } catch (RuntimeException unreadable) {
            body = "";
        }
        body = key.redact(body);
        return body == null || body.isBlank() || body.equals("JsonMissing") ? "(no message)" : clip(body);
    }

    private static String reason(int status) {
        switch (status) {
            case 400: return "bad request";
            case 401: return "unauthorized";
            case 403: return "forbidden";
            case 404: return "not found";
            case 429: return "too many requests";
            case 529: return "overloaded";
            default: return status >= 500 ? "server error" : "error";
        }
    }

    private static boolean causedByTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedIOException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** @return the exception's type, message and its causes' messages, redacted and clipped */
    static String describe(Throwable e, Redactor key) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 4; t = t.getCause(), depth++) {
            if (depth > 0) {
                sb.append("; caused by ");
            }
            sb.append(t.getClass().getSimpleName());
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                sb.append(": ").append(t.getMessage());
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return clip(key.redact(sb.toString()));
    }

    static String clip(String s) {
        String one = s.replace('\n', ' ').replace('\r', ' ');
        return one.length() <= MAX_MESSAGE_CHARS ? one : one.substring(0, MAX_MESSAGE_CHARS) + "…";
    }
}
