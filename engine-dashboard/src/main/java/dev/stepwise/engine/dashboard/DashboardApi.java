package dev.stepwise.engine.dashboard;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.UnknownStepException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.dashboard.internal.EventStream;
import dev.stepwise.engine.dashboard.internal.Views;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The dashboard's JSON API over a {@link JobEngine}, independent of any web server:
 * {@link #handle(ApiRequest)} answers every {@code /api/...} request, and
 * {@link #streamEvents(ApiRequest, OutputStream, BooleanSupplier)} serves the server-sent-events
 * streams. {@link Dashboard} mounts it on the JDK's HTTP server; a host with its own web server
 * can mount it there (and must then apply its own authentication and CSRF protection).
 *
 * <p>Endpoints (documented in {@code docs/dashboard.md}):
 * <pre>
 * GET  /api/jobs?status=a,b&amp;recipe=SLUG&amp;limit=N&amp;offset=N   newest first, paged
 * POST /api/jobs                {"recipe": SLUG, "version": N?, "input": {...}}
 * GET  /api/jobs/ID             the job and its steps
 * GET  /api/jobs/ID/logs?after=CURSOR&amp;limit=N&amp;step=KEY&amp;level=LEVEL
 * GET  /api/jobs/ID/manifest[?download=1]
 * POST /api/jobs/ID/cancel | /api/jobs/ID/retry | /api/jobs/ID/steps/KEY/retry
 * GET  /api/jobs/ID/events?after=CURSOR | /api/events?(list filters)   server-sent events
 * GET  /api/recipes | /api/config
 * </pre>
 * Reads carry an {@code ETag}; a request with a matching {@code If-None-Match} gets 304.
 * Errors are {@code {"status", "error", "message"}} with 400, 404, 405, 409 or 413.
 */
public final class DashboardApi {
    /** Largest accepted request body: 1 MiB. */
    public static final int MAX_BODY_BYTES = 1 << 20;
    /** Default page size of the job list. */
    public static final int DEFAULT_PAGE_SIZE = 25;
    /** Largest page of the job list. */
    public static final int MAX_PAGE_SIZE = 500;
    /** The job list reaches this many of the newest matching jobs. */
    public static final int MAX_LISTED = 10_000;
    /** Default and largest number of log lines per answer. */
    public static final int MAX_LOG_LINES = 1000;
    /** Default interval at which an event stream looks for changes. */
    public static final Duration DEFAULT_STREAM_INTERVAL = Duration.ofMillis(500);
    /** Default longest life of one event stream (the browser reconnects after it). */
    public static final Duration DEFAULT_STREAM_LIFETIME = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(DashboardApi.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** A filtered log read scans at most this many pages of the store per answer. */
    private static final int MAX_LOG_PAGES = 20;

    private final JobEngine engine;
    private final Duration streamInterval;
    private final Duration streamLifetime;

    /**
     * An API with the default event-stream interval and lifetime.
     *
     * @param engine the engine to show and steer
     */
    public DashboardApi(JobEngine engine) {
        this(engine, DEFAULT_STREAM_INTERVAL, DEFAULT_STREAM_LIFETIME);
    }

    /**
     * @param engine         the engine to show and steer
     * @param streamInterval how often an event stream looks for changes (positive)
     * @param streamLifetime how long one event stream lives before it ends (the browser reconnects)
     */
    public DashboardApi(JobEngine engine, Duration streamInterval, Duration streamLifetime) {
        this.engine = Objects.requireNonNull(engine, "engine");
        if (streamInterval.isNegative() || streamInterval.isZero()) {
            throw new IllegalArgumentException("streamInterval must be positive, was " + streamInterval);
        }
        if (streamLifetime.isNegative() || streamLifetime.isZero()) {
            throw new IllegalArgumentException("streamLifetime must be positive, was " + streamLifetime);
        }
        this.streamInterval = streamInterval;
        this.streamLifetime = streamLifetime;
    }

    /**
     * Answers one API request. Never throws for a bad request: every failure is an error answer.
     *
     * @param request the request; its path starts with {@code /api/}
     * @return the answer
     */
    public ApiResponse handle(ApiRequest request) {
        try {
            if (request.body().length > MAX_BODY_BYTES) {
                return tooLarge();
            }
            return route(request);
        } catch (BadRequest e) {
            return ApiResponse.error(400, e.getMessage());
        } catch (UnknownJobException | UnknownRecipeException | UnknownStepException e) {
            return ApiResponse.error(404, e.getMessage());
        } catch (InvalidInputException e) {
            ObjectNode body = ApiResponse.errorBody(400, e.getMessage());
            ArrayNode list = body.putArray("violations");
            e.violations().forEach(v -> list.addObject().put("path", v.path()).put("message", v.message()));
            return ApiResponse.json(400, body);
        } catch (InvalidRecipeException | UnknownStepTypeException e) {
            return ApiResponse.error(400, e.getMessage());
        } catch (IllegalTransitionException | JobBusyException e) {
            return ApiResponse.error(409, e.getMessage());
        } catch (StoreException e) {
            LOG.warn("dashboard request {} {} failed in the store: {}", request.method(), request.path(), e.toString());
            return ApiResponse.error(503, "the job store failed: " + e.getMessage() + "; try again");
        } catch (RuntimeException e) {
            LOG.error("dashboard request {} {} failed", request.method(), request.path(), e);
            return ApiResponse.error(500, "unexpected " + e.getClass().getSimpleName() + "; see the host's log");
        }
    }

    /** @return the answer to a body over {@link #MAX_BODY_BYTES} */
    public static ApiResponse tooLarge() {
        return ApiResponse.error(413, "the request body is larger than " + MAX_BODY_BYTES + " bytes (1 MiB); send less");
    }

    /**
     * @param request a request
     * @return whether it asks for an event stream (serve it with {@link #streamEvents})
     */
    public boolean isEventStream(ApiRequest request) {
        List<String> p = segments(request.path());
        return request.method().equals("GET")
                && (p.equals(List.of("events")) || (p.size() == 3 && p.get(0).equals("jobs") && p.get(2).equals("events")));
    }

    /**
     * Checks an event-stream request before its answer starts: an unknown job or a malformed
     * parameter is refused as {@link #handle} would refuse it.
     *
     * @param request the request ({@link #isEventStream} is true)
     * @return the error answer, or empty when the stream can start
     */
    public Optional<ApiResponse> checkStream(ApiRequest request) {
        List<String> p = segments(request.path());
        ApiResponse probe = handle(p.size() == 3
                ? new ApiRequest("GET", "/api/jobs/" + p.get(1) + "/logs", Map.of("after", request.query().getOrDefault("after", "0"),
                        "limit", "1"), request.headers(), null)
                : new ApiRequest("GET", "/api/jobs", request.query(), Map.of(), null));
        return probe.status() == 200 ? Optional.empty() : Optional.of(probe);
    }

    /**
     * Serves a server-sent-events stream until the client goes, {@code open} turns false, the
     * stream's lifetime ends or (for a job) the job is terminal and its log is read to the end.
     * The caller has sent status 200 with {@code Content-Type: text/event-stream}.
     *
     * <p>{@code /api/jobs/ID/events?after=CURSOR} sends {@code job} events (the same JSON as
     * {@code GET /api/jobs/ID}) when the job changes, {@code logs} events (as
     * {@code GET /api/jobs/ID/logs}, with the cursor as the event id) when lines arrive, and
     * {@code end} once nothing can change any more. {@code /api/events} (with the job list's
     * filters) sends {@code jobs} events (as {@code GET /api/jobs}) when the list changes.
     *
     * @param request the request ({@link #isEventStream} is true)
     * @param out     the response body
     * @param open    false once the server is closing
     * @throws IOException when the client went away
     */
    public void streamEvents(ApiRequest request, OutputStream out, BooleanSupplier open) throws IOException {
        List<String> p = segments(request.path());
        EventStream stream = new EventStream(out, open, streamInterval, streamLifetime);
        if (p.size() == 3) {
            String jobId = p.get(1);
            long after = Math.max(longParam(request, "after", 0, 0, Long.MAX_VALUE),
                    parseLong(request.header("Last-Event-ID").orElse("0")));
            stream.job(() -> jobBody(jobId), cursor -> logsBody(jobId, cursor, MAX_LOG_LINES, null, null), after,
                    body -> JobStatus.fromValue(body.at("/job/status").asString()).isTerminal());
        } else {
            stream.list(() -> listBody(request));
        }
    }

    // ------------------------------------------------------------------------------------ routing

    private ApiResponse route(ApiRequest r) {
        List<String> p = segments(r.path());
        String m = r.method();
        if (p.isEmpty()) {
            return ApiResponse.error(404, "no API endpoint at " + r.path() + "; see docs/dashboard.md");
        }
        switch (p.get(0)) {
            case "jobs" -> {
                if (p.size() == 1) {
                    return switch (m) {
                        case "GET" -> conditional(r, listBody(r));
                        case "POST" -> create(r);
                        default -> notAllowed("GET, POST");
                    };
                }
                String id = p.get(1);
                if (p.size() == 2) {
                    return m.equals("GET") ? conditional(r, jobBody(id)) : notAllowed("GET");
                }
                if (p.size() == 3) {
                    switch (p.get(2)) {
                        case "logs":
                            return m.equals("GET") ? logs(r, id) : notAllowed("GET");
                        case "manifest":
                            return m.equals("GET") ? manifest(r, id) : notAllowed("GET");
                        case "cancel":
                            return m.equals("POST") ? jobAnswer(200, engine.cancel(id)) : notAllowed("POST");
                        case "retry":
                            return m.equals("POST") ? jobAnswer(200, engine.retry(id)) : notAllowed("POST");
                        case "events":
                            return m.equals("GET")
                                    ? ApiResponse.error(400, "this is a server-sent-events stream; serve it with streamEvents")
                                    : notAllowed("GET");
                        default:
                            break;
                    }
                }
                if (p.size() == 5 && p.get(2).equals("steps") && p.get(4).equals("retry")) {
                    return m.equals("POST") ? jobAnswer(200, engine.retryFrom(id, p.get(3))) : notAllowed("POST");
                }
            }
            case "recipes" -> {
                if (p.size() == 1) {
                    return m.equals("GET") ? conditional(r, recipesBody()) : notAllowed("GET");
                }
            }
            case "config" -> {
                if (p.size() == 1) {
                    return m.equals("GET") ? conditional(r, configBody()) : notAllowed("GET");
                }
            }
            case "events" -> {
                if (p.size() == 1) {
                    return m.equals("GET")
                            ? ApiResponse.error(400, "this is a server-sent-events stream; serve it with streamEvents")
                            : notAllowed("GET");
                }
            }
            default -> {
            }
        }
        return ApiResponse.error(404, "no API endpoint at " + r.path() + "; see docs/dashboard.md");
    }

    private static List<String> segments(String path) {
        if (!path.startsWith("/api/") && !path.equals("/api")) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String s : path.substring(4).split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private static ApiResponse notAllowed(String allow) {
        return ApiResponse.error(405, "method not allowed here; use " + allow).withHeader("Allow", allow);
    }

    // ---------------------------------------------------------------------------------- handlers

    /** The list: newest first, filtered by status and recipe, paged by offset. */
    private JsonNode listBody(ApiRequest r) {
        Set<JobStatus> statuses = EnumSet.noneOf(JobStatus.class);
        String raw = r.query().getOrDefault("status", "");
        for (String s : raw.split(",")) {
            if (!s.isBlank()) {
                try {
                    statuses.add(JobStatus.fromValue(s.strip()));
                } catch (IllegalArgumentException e) {
                    throw new BadRequest("status: " + e.getMessage());
                }
            }
        }
        String recipe = r.query().getOrDefault("recipe", "").strip();
        int limit = (int) longParam(r, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
        int offset = (int) longParam(r, "offset", 0, 0, MAX_LISTED);
        int want = offset + limit + 1;
        List<Job> matching;
        int fetch = Math.min(MAX_LISTED, want);
        while (true) {
            List<Job> page = engine.jobs(new JobQuery(statuses, fetch));
            matching = recipe.isEmpty() ? page : page.stream().filter(j -> j.recipeSlug().equals(recipe)).toList();
            if (matching.size() >= want || page.size() < fetch || fetch == MAX_LISTED) {
                break;
            }
            fetch = Math.min(MAX_LISTED, fetch * 4);
        }
        ObjectNode body = JSON.createObjectNode();
        ArrayNode jobs = body.putArray("jobs");
        for (int i = offset; i < Math.min(matching.size(), offset + limit); i++) {
            jobs.add(Views.job(matching.get(i), false));
        }
        body.put("offset", offset);
        body.put("limit", limit);
        body.put("has_more", matching.size() > offset + limit);
        return body;
    }

    private ApiResponse create(ApiRequest r) {
        JsonNode body = parseBody(r);
        if (!body.isObject()) {
            throw new BadRequest("the body must be a JSON object {\"recipe\": SLUG, \"version\": N (optional), \"input\": {...}}");
        }
        for (String name : body.propertyNames()) {
            if (!Set.of("recipe", "version", "input").contains(name)) {
                throw new BadRequest("unknown field '" + name + "'; a job is created from recipe, version (optional) and input");
            }
        }
        JsonNode slug = body.path("recipe");
        if (!slug.isString() || slug.asString().isBlank()) {
            throw new BadRequest("recipe is required: the slug of a recipe (GET /api/recipes lists them)");
        }
        JsonNode version = body.path("version");
        Integer v = null;
        if (!version.isMissingNode() && !version.isNull()) {
            if (!version.isIntegralNumber() || version.asInt() < 1) {
                throw new BadRequest("version must be a whole number >= 1 or null for the latest, was " + version);
            }
            v = version.asInt();
        }
        JsonNode input = body.path("input");
        if (input.isMissingNode() || input.isNull()) {
            input = JSON.createObjectNode();
        }
        Job job = engine.submit(slug.asString(), input, SubmitOptions.defaults().withRecipeVersion(v)).job();
        return jobAnswer(201, job).withHeader("Location", "/api/jobs/" + job.id());
    }

    private JsonNode jobBody(String jobId) {
        Job job = engine.job(jobId);
        return Views.jobDetail(job, engine.steps(jobId), recipeOf(job));
    }

    private Recipe recipeOf(Job job) {
        JsonNode copy = job.manifest() == null ? null : job.manifest().path("snapshots").path("recipe");
        if (copy != null && copy.isObject()) {
            return Recipe.fromJson(copy);
        }
        return engine.catalog().recipe(job.recipeSlug(), job.recipeVersion());
    }

    private ApiResponse jobAnswer(int status, Job job) {
        ObjectNode body = JSON.createObjectNode();
        body.set("job", Views.job(job, true));
        return ApiResponse.json(status, body);
    }

    private ApiResponse logs(ApiRequest r, String jobId) {
        long after = longParam(r, "after", 0, 0, Long.MAX_VALUE);
        int limit = (int) longParam(r, "limit", MAX_LOG_LINES, 1, MAX_LOG_LINES);
        String step = r.query().get("step");
        LogLevel level = null;
        String rawLevel = r.query().getOrDefault("level", "");
        if (!rawLevel.isBlank()) {
            try {
                level = LogLevel.fromValue(rawLevel.strip());
            } catch (IllegalArgumentException e) {
                throw new BadRequest("level must be one of debug, info, warn, error, was '" + rawLevel + "'");
            }
        }
        return ApiResponse.json(200, logsBody(jobId, after, limit, step == null || step.isBlank() ? null : step, level));
    }

    /**
     * Lines after a cursor, filtered by step ({@code "-"} for job-level lines) and minimum level;
     * {@code cursor} is the last line read, matching or not, so the next poll starts after it.
     */
    private JsonNode logsBody(String jobId, long after, int limit, String step, LogLevel level) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode lines = body.putArray("lines");
        long cursor = after;
        boolean more = false;
        pages:
        for (int page = 0; page < MAX_LOG_PAGES; page++) {
            List<LogEntry> read = engine.logs(jobId, cursor, limit);
            for (LogEntry e : read) {
                cursor = e.cursor();
                boolean stepOk = step == null || (step.equals("-") ? e.stepKey() == null : step.equals(e.stepKey()));
                if (stepOk && (level == null || e.level().compareTo(level) >= 0)) {
                    lines.add(Views.log(e));
                    if (lines.size() == limit) {
                        more = true;
                        break pages;
                    }
                }
            }
            more = read.size() == limit; // a full page: there may be more
            if (!more) {
                break;
            }
        }
        if (lines.isEmpty() && after == cursor) {
            engine.job(jobId); // no line: make an unknown job a 404
        }
        body.put("cursor", cursor);
        body.put("more", more);
        return body;
    }

    private ApiResponse manifest(ApiRequest r, String jobId) {
        ApiResponse answer = conditional(r, engine.manifest(jobId));
        if ("1".equals(r.query().get("download")) && answer.status() == 200) {
            answer = answer.withHeader("Content-Disposition", "attachment; filename=\"manifest-" + jobId + ".json\"");
        }
        return answer;
    }

    private JsonNode recipesBody() {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("recipes");
        for (Recipe r : engine.catalog().recipes()) {
            ObjectNode n = r.toJson();
            ArrayNode versions = n.putArray("versions");
            engine.catalog().recipeVersions(r.slug()).forEach(v -> versions.add(v.version()));
            list.add(n);
        }
        return body;
    }

    /** Config entries as stored: secrets appear only as references ({@code {"secret": "env:NAME"}}). */
    private JsonNode configBody() {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("config");
        for (DocumentKind kind : DocumentKind.configKinds()) {
            for (VersionedDocument d : engine.catalog().configs(kind)) {
                ObjectNode n = list.addObject();
                n.put("kind", kind.value());
                n.put("key", d.key());
                n.put("version", d.version());
                n.put("created_at", d.createdAt().toString());
                n.set("value", d.content());
            }
        }
        return body;
    }

    // ----------------------------------------------------------------------------------- helpers

    /** 200 with an ETag, or 304 when the client already has this body. */
    private static ApiResponse conditional(ApiRequest r, JsonNode body) {
        byte[] bytes = JSON.writeValueAsBytes(body);
        String etag = etag(bytes);
        if (r.header("If-None-Match").map(h -> h.contains(etag)).orElse(false)) {
            return new ApiResponse(304, ApiResponse.JSON_TYPE, Map.of("ETag", etag), null);
        }
        return new ApiResponse(200, ApiResponse.JSON_TYPE, Map.of("ETag", etag), bytes);
    }

    /**
     * @param bytes a body
     * @return a strong ETag of it
     */
    public static String etag(byte[] bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(d, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static JsonNode parseBody(ApiRequest r) {
        if (r.body().length == 0) {
            throw new BadRequest("a JSON body is required");
        }
        try {
            JsonNode n = JSON.readTree(new String(r.body(), StandardCharsets.UTF_8));
            if (n == null || n.isMissingNode()) {
                throw new BadRequest("a JSON body is required");
            }
            return n;
        } catch (JacksonException e) {
            throw new BadRequest("the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static long longParam(ApiRequest r, String name, long dflt, long min, long max) {
        String raw = r.query().get(name);
        if (raw == null || raw.isBlank()) {
            return dflt;
        }
        long v;
        try {
            v = Long.parseLong(raw.strip());
        } catch (NumberFormatException e) {
            throw new BadRequest(name + " must be a whole number from " + min + " to " + max + ", was '" + raw + "'");
        }
        if (v < min || v > max) {
            throw new BadRequest(name + " must be a whole number from " + min + " to " + max + ", was '" + raw + "'");
        }
        return v;
    }

    private static long parseLong(String raw) {
        try {
            return Math.max(0, Long.parseLong(raw.strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A malformed request: 400 with this message. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }
}
