package dev.stepwise.engine.dashboard.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One server-sent-events stream: looks for changes every interval and writes an event when it
 * finds one, a comment line as keep-alive otherwise. Ends when the client goes (an
 * {@link IOException}), the server closes, the lifetime ends, or a job has nothing left to change.
 */
public final class EventStream {
    /** A keep-alive comment is written after this long without an event. */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final OutputStream out;
    private final BooleanSupplier open;
    private final long intervalNanos;
    private final long deadlineNanos;
    private long lastWriteNanos = System.nanoTime();

    /**
     * @param out      the response body
     * @param open     false once the server is closing
     * @param interval how often to look for changes
     * @param lifetime how long the stream lives
     */
    public EventStream(OutputStream out, BooleanSupplier open, Duration interval, Duration lifetime) {
        this.out = Objects.requireNonNull(out, "out");
        this.open = Objects.requireNonNull(open, "open");
        this.intervalNanos = interval.toNanos();
        this.deadlineNanos = System.nanoTime() + lifetime.toNanos();
    }

    /**
     * Streams one job: {@code job} events when its JSON changes, {@code logs} events (id = the
     * log cursor) when lines arrive, then {@code end} once it is terminal and its log is read.
     *
     * @param job      reads the job's JSON
     * @param logs     reads the log lines after a cursor ({@code {lines, cursor, more}})
     * @param after    the last cursor the client has
     * @param terminal whether a job JSON shows a terminal job
     * @throws IOException when the client went away
     */
    public void job(Supplier<JsonNode> job, LongFunction<JsonNode> logs, long after, Predicate<JsonNode> terminal)
            throws IOException {
        String lastJob = null;
        long cursor = after;
        while (alive()) {
            JsonNode j = job.get();
            String text = JSON.writeValueAsString(j);
            if (!text.equals(lastJob)) {
                event("job", null, text);
                lastJob = text;
            }
            boolean more = true;
            while (more && alive()) {
                JsonNode page = logs.apply(cursor);
                if (page.get("lines").size() > 0) {
                    cursor = page.get("cursor").asLong();
                    event("logs", Long.toString(cursor), JSON.writeValueAsString(page));
                }
                more = page.get("more").asBoolean();
            }
            if (terminal.test(j)) {
                event("end", null, "{}");
                return;
            }
            pause();
        }
    }

    /**
     * Streams the job list: a {@code jobs} event whenever its JSON changes.
     *
     * @param list reads the list's JSON
     * @throws IOException when the client went away
     */
    public void list(Supplier<JsonNode> list) throws IOException {
        String last = null;
        while (alive()) {
            String text = JSON.writeValueAsString(list.get());
            if (!text.equals(last)) {
                event("jobs", null, text);
                last = text;
            }
            pause();
        }
    }

    private boolean alive() {
        return open.getAsBoolean() && System.nanoTime() - deadlineNanos < 0 && !Thread.currentThread().isInterrupted();
    }

    private void pause() throws IOException {
        if (System.nanoTime() - lastWriteNanos > KEEP_ALIVE.toNanos()) {
            write(": keep-alive\n\n");
        }
        try {
            TimeUnit.NANOSECONDS.sleep(intervalNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void event(String name, String id, String data) throws IOException {
        StringBuilder b = new StringBuilder(data.length() + 64);
        if (id != null) {
            b.append("id: ").append(id).append('\n');
        }
        b.append("event: ").append(name).append('\n');
        b.append("data: ").append(data).append("\n\n"); // compact JSON has no newline
        write(b.toString());
    }

    private void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        lastWriteNanos = System.nanoTime();
    }
}
