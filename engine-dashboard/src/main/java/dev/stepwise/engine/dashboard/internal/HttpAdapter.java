package dev.stepwise.engine.dashboard.internal;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.stepwise.engine.dashboard.ApiRequest;
import dev.stepwise.engine.dashboard.ApiResponse;
import dev.stepwise.engine.dashboard.DashboardApi;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts {@link DashboardApi} and the page on the JDK's HTTP server: applies the
 * {@link AccessPolicy}, the 1 MiB body limit and the security headers, serves the static files
 * and the event streams (at most {@code maxStreams} at once; beyond, 503 and the page polls).
 */
public final class HttpAdapter implements HttpHandler {
    /** The page's Content-Security-Policy: no inline script, nothing from elsewhere, no framing. */
    public static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final Logger LOG = LoggerFactory.getLogger(HttpAdapter.class);

    private final DashboardApi api;
    private final AccessPolicy policy;
    private final StaticFiles files;
    private final int maxStreams;
    private final BooleanSupplier open;
    private final AtomicInteger streams = new AtomicInteger();

    /**
     * @param api        the JSON API
     * @param policy     the access rules
     * @param files      the page
     * @param maxStreams most event streams at once
     * @param open       false once the server is closing
     */
    public HttpAdapter(DashboardApi api, AccessPolicy policy, StaticFiles files, int maxStreams, BooleanSupplier open) {
        this.api = api;
        this.policy = policy;
        this.files = files;
        this.maxStreams = maxStreams;
        this.open = open;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            securityHeaders(ex.getResponseHeaders());
            Map<String, String> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> {
                if (!v.isEmpty()) {
                    headers.put(k, v.get(0));
                }
            });
            ApiRequest request = new ApiRequest(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ApiRequest.parseQuery(ex.getRequestURI().getRawQuery()), headers, null);
            Optional<ApiResponse> refused = policy.check(request);
            if (refused.isPresent()) {
                send(ex, refused.get());
                return;
            }
            if (request.path().equals("/api") || request.path().startsWith("/api/")) {
                if (api.isEventStream(request)) {
                    stream(ex, request);
                    return;
                }
                Optional<byte[]> body = readBody(ex);
                if (body.isEmpty()) {
                    ex.getResponseHeaders().set("Connection", "close");
                    send(ex, DashboardApi.tooLarge());
                    return;
                }
                send(ex, api.handle(request.withBody(body.get())));
                return;
            }
            page(ex, request);
        } catch (IOException e) {
            LOG.debug("dashboard: client went away: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("dashboard: request failed", e);
        }
    }

    private void page(HttpExchange ex, ApiRequest request) throws IOException {
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            send(ex, ApiResponse.error(405, "only GET here").withHeader("Allow", "GET, HEAD"));
            return;
        }
        Optional<StaticFiles.File> file = files.find(request.path());
        if (file.isEmpty()) {
            send(ex, ApiResponse.error(404, "nothing at " + request.path() + "; the dashboard is at /"));
            return;
        }
        String etag = DashboardApi.etag(file.get().bytes());
        ex.getResponseHeaders().set("ETag", etag);
        ex.getResponseHeaders().set("Content-Type", file.get().contentType());
        if (request.header("If-None-Match").map(h -> h.contains(etag)).orElse(false)) {
            ex.sendResponseHeaders(304, -1);
            return;
        }
        if (request.method().equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, file.get().bytes().length);
        ex.getResponseBody().write(file.get().bytes());
    }

    private void stream(HttpExchange ex, ApiRequest request) throws IOException {
        Optional<ApiResponse> refused = api.checkStream(request);
        if (refused.isPresent()) {
            send(ex, refused.get());
            return;
        }
        if (streams.incrementAndGet() > maxStreams) {
            streams.decrementAndGet();
            send(ex, ApiResponse.error(503, "too many event streams (" + maxStreams + "); poll instead"));
            return;
        }
        try {
            Headers h = ex.getResponseHeaders();
            h.set("Content-Type", "text/event-stream; charset=utf-8");
            h.set("X-Accel-Buffering", "no");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            api.streamEvents(request, out, open);
        } finally {
            streams.decrementAndGet();
        }
    }

    /** Most bytes of a too-large body read and dropped before the 413 is sent. */
    private static final long DRAIN_LIMIT_BYTES = 16L << 20;

    private static long declaredLength(HttpExchange ex) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        try {
            return length == null ? DRAIN_LIMIT_BYTES : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return DRAIN_LIMIT_BYTES;
        }
    }

    /** @return the body, or empty when it is over the limit */
    private static Optional<byte[]> readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(DashboardApi.MAX_BODY_BYTES + 1);
            if (bytes.length <= DashboardApi.MAX_BODY_BYTES) {
                return Optional.of(bytes);
            }
            // Read (and drop) the rest, up to a bound, before answering 413: closing a connection
            // with unread request bytes makes the kernel reset it, and the client may then lose
            // the answer. Past the bound the connection is closed anyway ("Connection: close").
            long left = Math.min(Math.max(0, declaredLength(ex) - bytes.length), DRAIN_LIMIT_BYTES);
            byte[] drop = new byte[64 * 1024];
            for (int n = 0; left > 0 && n >= 0; left -= Math.max(n, 0)) {
                n = in.read(drop, 0, (int) Math.min(drop.length, left));
            }
            return Optional.empty();
        }
    }

    private static void send(HttpExchange ex, ApiResponse r) throws IOException {
        Headers h = ex.getResponseHeaders();
        r.headers().forEach(h::set);
        h.set("Content-Type", r.contentType());
        boolean empty = r.body().length == 0 || ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(r.status(), empty ? -1 : r.body().length);
        if (!empty) {
            ex.getResponseBody().write(r.body());
        }
    }

    private static void securityHeaders(Headers h) {
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cross-Origin-Opener-Policy", "same-origin");
        h.set("Cross-Origin-Resource-Policy", "same-origin");
        h.set("Cache-Control", "no-cache");
        h.put("Vary", List.of("Origin"));
    }
}
