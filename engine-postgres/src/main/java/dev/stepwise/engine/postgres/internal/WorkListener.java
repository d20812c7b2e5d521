package dev.stepwise.engine.postgres.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's {@code LISTEN} connection: one daemon thread ({@code stepwise-pg-listen}) holds a
 * dedicated connection listening on the store's channel and calls every subscriber when a
 * notification arrives (a job was submitted or handed back somewhere). A payload of N > 0 ms
 * (a retry due later) wakes the subscribers N ms later instead, on a timer thread.
 *
 * <p>When the connection breaks, the thread logs one warning for the outage, reconnects with a
 * growing jittered pause (up to {@link #MAX_BACKOFF}), and meanwhile the workers find work by
 * polling as they always do. Once listening again it logs that, and wakes the subscribers
 * once (a notification sent during the outage was lost). Every {@link #KEEPALIVE} without a
 * notification it runs {@code SELECT 1}, so a connection that died silently is noticed.
 */
public final class WorkListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkListener.class);
    /** The longest pause between two reconnection attempts. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** How often an idle connection is checked. */
    public static final Duration KEEPALIVE = Duration.ofSeconds(5);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
    private static final int WAIT_MS = 250;
    /** Retries due further away than this are left to polling. */
    private static final long MAX_DELAY_MS = TimeUnit.HOURS.toMillis(1);

    /** Opens the dedicated connection. */
    @FunctionalInterface
    public interface Connector {
        /**
         * @return a new connection, not from the store's pool
         * @throws SQLException if the database cannot be reached
         */
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private final String channel;
    private final String database;
    private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final ScheduledExecutorService timer;
    private volatile boolean closed;
    private volatile boolean listening;
    private volatile Connection current;

    /**
     * Starts listening.
     *
     * @param connector opens the dedicated connection
     * @param channel   the channel (as {@code pg_notify} names it)
     * @param database  names the database in messages
     */
    public WorkListener(Connector connector, String channel, String database) {
        this.connector = connector;
        this.channel = channel;
        this.database = database;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stepwise-pg-listen-timer");
            t.setDaemon(true);
            return t;
        });
        this.thread = new Thread(this::loop, "stepwise-pg-listen");
        thread.setDaemon(true);
        thread.start();
    }

    /** @param wake called on every notification (from the listener's threads; must not block) */
    public void subscribe(Runnable wake) {
        subscribers.add(wake);
    }

    /** @param wake a subscriber to drop */
    public void unsubscribe(Runnable wake) {
        subscribers.remove(wake);
    }

    /** @return whether the dedicated connection is listening now */
    public boolean listening() {
        return listening;
    }

    private void loop() {
        long backoffMs = FIRST_BACKOFF.toMillis();
        boolean outage = false;
        while (!closed) {
            try (Connection c = connector.connect()) {
                current = c;
                Transactions.execute(c, "LISTEN \"" + channel.replace("\"", "\"\"") + "\"");
                listening = true;
                if (outage) {
                    LOG.info("listening on {} again; workers wake on notifications again", database);
                    outage = false;
                    wakeAll();
                } else {
                    LOG.debug("listening on channel {} of {}", channel, database);
                }
                backoffMs = FIRST_BACKOFF.toMillis();
                listen(c);
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (closed) {
                    break;
                }
                if (!outage) {
                    outage = true;
                    LOG.warn("the LISTEN connection to {} broke ({}); workers poll until it is back, reconnecting "
                            + "(logged once per outage)", database, e.getMessage());
                } else {
                    LOG.debug("LISTEN reconnect to {} failed: {}", database, e.getMessage());
                }
                sleep(backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1));
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF.toMillis());
            } finally {
                listening = false;
                current = null;
            }
        }
    }

    private void listen(Connection c) throws SQLException {
        PGConnection pg = c.unwrap(PGConnection.class);
        long quietSince = System.nanoTime();
        while (!closed) {
            PGNotification[] received = pg.getNotifications(WAIT_MS);
            if (received != null && received.length > 0) {
                quietSince = System.nanoTime();
                for (PGNotification n : received) {
                    dispatch(n.getParameter());
                }
            } else if (System.nanoTime() - quietSince > KEEPALIVE.toNanos()) {
                Transactions.execute(c, "SELECT 1");
                quietSince = System.nanoTime();
            }
        }
    }

    private void dispatch(String payload) {
        long delayMs;
        try {
            delayMs = Long.parseLong(payload.strip());
        } catch (NumberFormatException e) {
            delayMs = 0;
        }
        if (delayMs > MAX_DELAY_MS) {
            return;
        }
        if (delayMs <= 0) {
            wakeAll();
        } else {
            timer.schedule(this::wakeAll, delayMs, TimeUnit.MILLISECONDS);
        }
        // Once more a tolerance later: a process whose clock is up to that much behind the
        // submitter's (clocks that agree within the tolerance convert by zero) finds the job due then.
        timer.schedule(this::wakeAll, Math.max(0, delayMs) + ClockOffset.TOLERANCE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void wakeAll() {
        for (Runnable wake : subscribers) {
            try {
                wake.run();
            } catch (RuntimeException e) {
                LOG.warn("a work subscriber failed: {}", e.toString());
            }
        }
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Stops listening and closes the dedicated connection. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        Connection c = current;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("closing the LISTEN connection failed: {}", e.getMessage());
            }
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
