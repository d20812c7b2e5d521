package dev.stepwise.engine.dashboard;

import com.sun.net.httpserver.HttpServer;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.dashboard.internal.AccessPolicy;
import dev.stepwise.engine.dashboard.internal.HttpAdapter;
import dev.stepwise.engine.dashboard.internal.StaticFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A web dashboard inside the host application: one page to watch jobs (their steps, logs and
 * manifests) and steer them (create, cancel, retry a job or one step), served by the JDK's
 * built-in HTTP server ({@code com.sun.net.httpserver}) over a {@link JobEngine}.
 *
 * <pre>{@code
 * try (Dashboard dashboard = Dashboard.builder(engine).port(7070).build().start()) {
 *     System.out.println("dashboard at " + dashboard.uri());
 *     ...
 * }
 * }</pre>
 *
 * <p>Safe by default: it listens on {@value #DEFAULT_BIND_ADDRESS} only; any other address needs
 * a {@link Builder#token(String) token}, which every API request must then carry. On a loopback
 * address without a token, requests that change something need the page's custom header (CSRF)
 * and the {@code Host} header must name the loopback address (DNS rebinding). The JSON API is
 * {@link DashboardApi}, usable on another web server too.
 */
public final class Dashboard implements AutoCloseable {
    /** Default bind address: loopback only. */
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    /** Default port. */
    public static final int DEFAULT_PORT = 7070;
    /** Default number of request threads (when the host passes no executor). */
    public static final int DEFAULT_THREADS = 8;
    /** Default most event streams at once; beyond, the page polls every 2 s instead. */
    public static final int DEFAULT_MAX_STREAMS = 4;
    /**
     * The JDK HTTP server's switch for TCP_NODELAY. {@link #start()} sets it to {@code true} when
     * the host has not set it (it is read once per JVM, when the first JDK HTTP server starts).
     */
    public static final String NO_DELAY_PROPERTY = "sun.net.httpserver.nodelay";
    /** Shortest token accepted. */
    public static final int MIN_TOKEN_LENGTH = 16;

    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    private final JobEngine engine;
    private final InetAddress bind;
    private final int requestedPort;
    private final Optional<String> token;
    private final ExecutorService hostExecutor;
    private final int maxStreams;
    private final Duration streamInterval;
    private final Object lock = new Object();
    private HttpServer server;
    private ExecutorService ownExecutor;
    private volatile boolean open;

    private Dashboard(Builder b, InetAddress bind) {
        this.engine = b.engine;
        this.bind = bind;
        this.requestedPort = b.port;
        this.token = Optional.ofNullable(b.token);
        this.hostExecutor = b.executor;
        this.maxStreams = b.maxStreams;
        this.streamInterval = b.streamInterval;
    }

    /**
     * @param engine the engine to show and steer
     * @return a builder with the defaults
     */
    public static Builder builder(JobEngine engine) {
        return new Builder(engine);
    }

    /**
     * Binds the address and starts serving.
     *
     * @return this dashboard, serving
     * @throws UncheckedIOException  if the address cannot be bound (e.g. the port is taken)
     * @throws IllegalStateException if it was started before
     */
    public Dashboard start() {
        synchronized (lock) {
            if (server != null) {
                throw new IllegalStateException("this dashboard was started already");
            }
            if (System.getProperty(NO_DELAY_PROPERTY) == null) {
                // Small answers are written as headers then body; without TCP_NODELAY the second
                // write waits for the client's delayed ACK (~40 ms a poll on Linux).
                System.setProperty(NO_DELAY_PROPERTY, "true");
            }
            AccessPolicy policy = new AccessPolicy(bind, token);
            DashboardApi api = new DashboardApi(engine, streamInterval, DashboardApi.DEFAULT_STREAM_LIFETIME);
            HttpServer s;
            try {
                s = HttpServer.create(new InetSocketAddress(bind, requestedPort), 64);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot serve the dashboard on " + bind.getHostAddress() + ":" + requestedPort
                        + ": " + e.getMessage() + "; choose another port (0 = any free port)", e);
            }
            ExecutorService executor = hostExecutor;
            if (executor == null) {
                AtomicInteger n = new AtomicInteger();
                ThreadPoolExecutor own = new ThreadPoolExecutor(DEFAULT_THREADS, DEFAULT_THREADS, 30, TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(), r -> {
                            Thread t = new Thread(r, "stepwise-dashboard-" + n.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
                own.allowCoreThreadTimeOut(true);
                ownExecutor = own;
                executor = own;
            }
            open = true;
            s.createContext("/", new HttpAdapter(api, policy, new StaticFiles(), maxStreams, () -> open));
            s.setExecutor(executor);
            s.start();
            policy.port(s.getAddress().getPort());
            server = s;
            LOG.info("stepwise dashboard at {} (token {})", uri(), token.isPresent() ? "required" : "not set, loopback only");
            return this;
        }
    }

    /**
     * @return the port it listens on (the free port chosen when 0 was asked for)
     * @throws IllegalStateException before {@link #start()}
     */
    public int port() {
        synchronized (lock) {
            if (server == null) {
                throw new IllegalStateException("the dashboard is not started; call start() first");
            }
            return server.getAddress().getPort();
        }
    }

    /**
     * @return where to open it, e.g. {@code http://127.0.0.1:7070/}
     * @throws IllegalStateException before {@link #start()}
     */
    public URI uri() {
        String host = bind.getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + port() + "/");
    }

    /** Stops serving (open event streams end); the engine stays open (the host owns it). */
    @Override
    public void close() {
        synchronized (lock) {
            open = false;
            if (server != null) {
                server.stop(0); // event streams see open == false and end; requests in flight are cut
            }
            if (ownExecutor != null) {
                ownExecutor.shutdownNow();
            }
        }
    }

    /** Builds a {@link Dashboard}; settings are validated by {@link #build()}. */
    public static final class Builder {
        private final JobEngine engine;
        private String bindAddress = DEFAULT_BIND_ADDRESS;
        private int port = DEFAULT_PORT;
        private String token;
        private ExecutorService executor;
        private int maxStreams = DEFAULT_MAX_STREAMS;
        private Duration streamInterval = DashboardApi.DEFAULT_STREAM_INTERVAL;

        private Builder(JobEngine engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /**
         * @param address the address to listen on (default {@value #DEFAULT_BIND_ADDRESS}); any
         *                non-loopback address needs a {@link #token(String)}
         * @return this
         */
        public Builder bindAddress(String address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** @param port the port (default {@value #DEFAULT_PORT}; 0 = any free port, see {@link #port()}) @return this */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * @param token a secret of at least {@value #MIN_TOKEN_LENGTH} characters that every API
         *              request must carry (header {@code X-Stepwise-Token} or
         *              {@code Authorization: Bearer}); default none
         * @return this
         */
        public Builder token(String token) {
            this.token = Objects.requireNonNull(token, "token");
            return this;
        }

        /**
         * @param executor runs the requests (default: {@value #DEFAULT_THREADS} daemon threads
         *                 {@code stepwise-dashboard-N}); it must allow more tasks at once than
         *                 {@link #maxStreams(int)}; the host shuts it down
         * @return this
         */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** @param n most server-sent-event streams at once (default {@value #DEFAULT_MAX_STREAMS}; 0 = none) @return this */
        public Builder maxStreams(int n) {
            this.maxStreams = n;
            return this;
        }

        /** @param interval how often an event stream looks for changes (default 500 ms) @return this */
        public Builder streamInterval(Duration interval) {
            this.streamInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /**
         * @return the dashboard, not yet serving ({@link Dashboard#start()})
         * @throws IllegalArgumentException if a setting is out of range, the address is unknown,
         *                                  or a non-loopback address has no token
         */
        public Dashboard build() {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0-65535, was " + port);
            }
            if (maxStreams < 0) {
                throw new IllegalArgumentException("maxStreams must be >= 0, was " + maxStreams);
            }
            if (executor == null && maxStreams >= DEFAULT_THREADS) {
                throw new IllegalArgumentException("maxStreams must be below the " + DEFAULT_THREADS
                        + " request threads, was " + maxStreams + "; or pass a larger executor");
            }
            if (streamInterval.isNegative() || streamInterval.isZero()) {
                throw new IllegalArgumentException("streamInterval must be positive, was " + streamInterval);
            }
            if (token != null && token.strip().length() < MIN_TOKEN_LENGTH) {
                throw new IllegalArgumentException("token must have at least " + MIN_TOKEN_LENGTH + " characters");
            }
            InetAddress address;
            try {
                address = InetAddress.getByName(bindAddress);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("bind address '" + bindAddress + "' is unknown: " + e.getMessage());
            }
            if (!address.isLoopbackAddress() && token == null) {
                throw new IllegalArgumentException("binding the dashboard to " + bindAddress + " exposes it beyond this"
                        + " machine; set a token (Dashboard.builder(engine).token(...), CLI --token) or bind to "
                        + DEFAULT_BIND_ADDRESS);
            }
            return new Dashboard(this, address);
        }
    }
}
