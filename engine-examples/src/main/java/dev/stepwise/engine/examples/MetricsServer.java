package dev.stepwise.engine.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stepwise.engine.core.EngineListener;
import dev.stepwise.engine.micrometer.StepwiseObservability;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * {@code worker --metrics-port N}: the engine's observations (engine-micrometer) in a Prometheus
 * registry, served as Prometheus text on {@code http://127.0.0.1:N/metrics} by the JDK's HTTP
 * server (one daemon thread). Loopback only: scrape it from this machine or through a proxy.
 */
final class MetricsServer implements AutoCloseable {
    /** The path Prometheus scrapes. */
    static final String PATH = "/metrics";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final EngineListener listener;
    private final HttpServer server;

    private MetricsServer(int port) throws IOException {
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(registry));
        this.listener = StepwiseObservability.builder(observations, registry).build();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext(PATH, this::scrape);
        server.setExecutor(null); // the server's own (single) dispatcher thread
    }

    /**
     * @param port the port (0: any free port)
     * @return the server, started
     * @throws UsageException if the port cannot be bound
     */
    static MetricsServer create(int port) {
        try {
            MetricsServer m = new MetricsServer(port);
            m.server.start();
            return m;
        } catch (IOException e) {
            throw new UsageException("--metrics-port " + port + ": cannot listen on 127.0.0.1:" + port + " (" + e.getMessage() + ")");
        }
    }

    /** @return the listener to install on the engine */
    EngineListener listener() {
        return listener;
    }

    /** @return where the metrics are served */
    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + PATH);
    }

    private void scrape(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET")) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        registry.close();
    }
}
