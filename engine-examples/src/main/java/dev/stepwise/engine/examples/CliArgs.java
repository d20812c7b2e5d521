package dev.stepwise.engine.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The parsed command line of the CLI: global and per-command options, the command and its
 * operands; and the parsers of option values ({@code --run-at}, JSON given inline or as
 * {@code @FILE}). Every problem is a {@link UsageException} with a message that says what to
 * give instead.
 */
final class CliArgs {
    /** {@code 30s}: a duration ({@code +30s} is a run-at relative to now). */
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final List<String> VALUED = List.of("--db", "--artifacts", "--input", "--version", "--priority", "--run-at",
            "--key", "--workers", "--poll", "--grace", "--limit", "--port", "--bind", "--token", "--older-than", "--out", "--index",
            "--metrics-port");
    private static final List<String> SUBMIT_ONLY = List.of("--priority", "--run-at", "--key");
    private static final List<String> WORKER_ONLY = List.of("--workers", "--poll", "--grace", "--limit", "--exit-when-idle",
            "--dashboard", "--metrics-port");
    private static final List<String> DASHBOARD_ONLY = List.of("--port", "--bind", "--token");
    private static final List<String> ARTIFACT_ONLY = List.of("--out", "--index");

    Database db = new Database.SqliteFile(StepwiseCli.DEFAULT_DB);
    /** {@code --artifacts DIR}: the artifact root, applied to {@link #db} once every option is read. */
    Path artifacts;
    String command;
    String input;
    Integer version;
    Integer priority;
    String runAt;
    String key;
    Integer workers;
    Long pollMs;
    Long graceSeconds;
    String olderThan;
    Path out;
    Integer index;
    final Map<String, Integer> limits = new LinkedHashMap<>();
    boolean exitWhenIdle;
    boolean dashboard;
    Integer port;
    Integer metricsPort;
    String bind;
    String token;
    boolean help;
    final List<String> operands = new ArrayList<>();
    /** Options given, for {@link #checkOptionsBelong()}. */
    final List<String> given = new ArrayList<>();

    private CliArgs() {
    }

    /**
     * @param argv the command line
     * @return it parsed; {@link #checkOptionsBelong()} checks it against its command
     * @throws UsageException on an unknown option, a missing or bad value, an option given twice
     */
    static CliArgs parse(String[] argv) {
        CliArgs a = new CliArgs();
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            int eq = arg.indexOf('=');
            if (VALUED.contains(arg)) {
                if (i + 1 >= argv.length) {
                    throw new UsageException(arg + " needs a value");
                }
                a.option(arg, argv[++i]);
            } else if (arg.startsWith("--") && eq > 0 && VALUED.contains(arg.substring(0, eq))) {
                a.option(arg.substring(0, eq), arg.substring(eq + 1));
            } else if (arg.equals("--exit-when-idle")) {
                a.given.add(arg);
                a.exitWhenIdle = true;
            } else if (arg.equals("--dashboard")) {
                a.given.add(arg);
                a.dashboard = true;
            } else if (arg.equals("--help") || arg.equals("-h")) {
                a.help = true;
            } else if (arg.startsWith("-") && arg.length() > 1) {
                throw new UsageException("unknown option '" + arg + "' (--help for usage)");
            } else if (a.command == null) {
                a.command = arg;
            } else {
                a.operands.add(arg);
            }
        }
        if (a.artifacts != null) {
            a.db = a.db.withArtifacts(a.artifacts);
        }
        return a;
    }

    private void option(String name, String value) {
        if ((SUBMIT_ONLY.contains(name) || WORKER_ONLY.contains(name) || DASHBOARD_ONLY.contains(name)
                || ARTIFACT_ONLY.contains(name) || name.equals("--older-than")) && !name.equals("--limit") && given.contains(name)) {
            throw new UsageException(name + " given twice");
        }
        given.add(name);
        switch (name) {
            case "--priority" -> {
                priority = (int) number(name, value, Integer.MIN_VALUE, Integer.MAX_VALUE, "a whole number (higher runs first)");
                return;
            }
            case "--run-at" -> {
                runAt = value;
                return;
            }
            case "--key" -> {
                if (value.isBlank() || value.length() > 200) {
                    throw new UsageException("--key must be 1-200 characters, not blank");
                }
                key = value;
                return;
            }
            case "--workers" -> {
                workers = (int) number(name, value, 1, 1024, "a whole number from 1 to 1024");
                return;
            }
            case "--poll" -> {
                pollMs = number(name, value, 1, 3_600_000, "milliseconds from 1 to 3600000");
                return;
            }
            case "--grace" -> {
                graceSeconds = number(name, value, 0, 86_400, "seconds from 0 to 86400");
                return;
            }
            case "--port" -> {
                port = (int) number(name, value, 0, 65_535, "a port from 0 to 65535 (0 = any free port)");
                return;
            }
            case "--metrics-port" -> {
                metricsPort = (int) number(name, value, 0, 65_535, "a port from 0 to 65535 (0 = any free port)");
                return;
            }
            case "--bind" -> {
                if (value.isBlank()) {
                    throw new UsageException("--bind needs an address, e.g. 127.0.0.1");
                }
                bind = value.strip();
                return;
            }
            case "--token" -> {
                token = value;
                return;
            }
            case "--older-than" -> {
                olderThan = value;
                return;
            }
            case "--out" -> {
                out = path(name, value);
                return;
            }
            case "--index" -> {
                index = (int) number(name, value, 0, Integer.MAX_VALUE, "a whole number >= 0 (0 is the step's first artifact)");
                return;
            }
            case "--limit" -> {
                int eq = value.lastIndexOf('=');
                String slug = eq < 0 ? "" : value.substring(0, eq).strip();
                if (slug.isEmpty()) {
                    throw new UsageException("--limit must be SLUG=N, e.g. --limit wordcount=1; was '" + value + "'");
                }
                int n = (int) number("--limit " + slug, value.substring(eq + 1).strip(), 1, 1024, "a whole number from 1 to 1024");
                if (limits.put(slug, n) != null) {
                    throw new UsageException("--limit given twice for recipe '" + slug + "'");
                }
                return;
            }
            default -> {
            }
        }
        if (name.equals("--db")) {
            db = Database.parse(value);
        } else if (name.equals("--artifacts")) {
            if (artifacts != null) {
                throw new UsageException("--artifacts given twice");
            }
            artifacts = path(name, value);
        } else if (name.equals("--version")) {
            if (version != null) {
                throw new UsageException("--version given twice");
            }
            try {
                version = Integer.valueOf(value);
            } catch (NumberFormatException e) {
                version = -1;
            }
            if (version < 1) {
                throw new UsageException("--version must be a whole number >= 1, was '" + value + "'");
            }
        } else {
            if (input != null) {
                throw new UsageException("--input given twice");
            }
            input = value;
        }
    }

    private static Path path(String name, String value) {
        if (value.isBlank()) {
            throw new UsageException(name + " needs a file path");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException(name + " '" + value + "' is not a valid path");
        }
    }

    private static long number(String name, String value, long min, long max, String what) {
        long n;
        try {
            n = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new UsageException(name + " must be " + what + ", was '" + value + "'");
        }
        if (n < min || n > max) {
            throw new UsageException(name + " must be " + what + ", was '" + value + "'");
        }
        return n;
    }

    /** Rejects options given to a command that does not take them. */
    void checkOptionsBelong() {
        if (input != null && !command.equals("run") && !command.equals("submit")) {
            throw new UsageException("--input is only for 'run' and 'submit'");
        }
        if (version != null && !command.equals("run") && !command.equals("submit")
                && !(command.equals("recipes") && operands.size() > 0 && operands.get(0).equals("show"))) {
            throw new UsageException("--version is only for 'run', 'submit' and 'recipes show'");
        }
        for (String o : given) {
            if (SUBMIT_ONLY.contains(o) && !"submit".equals(command)) {
                throw new UsageException(o + " is only for 'submit'");
            }
            if (WORKER_ONLY.contains(o) && !"worker".equals(command)) {
                throw new UsageException(o + " is only for 'worker'");
            }
            if (DASHBOARD_ONLY.contains(o) && !"dashboard".equals(command) && !("worker".equals(command) && dashboard)) {
                throw new UsageException(o + " is only for 'dashboard' and 'worker --dashboard'");
            }
            if (ARTIFACT_ONLY.contains(o) && !"artifact".equals(command)) {
                throw new UsageException(o + " is only for 'artifact'");
            }
            if (o.equals("--older-than") && !"artifacts".equals(command)) {
                throw new UsageException(o + " is only for 'artifacts gc'");
            }
        }
    }

    /**
     * @param n     the number of operands the command takes
     * @param usage the command's usage line, for the message
     * @throws UsageException if there are fewer or more
     */
    void expectOperands(int n, String usage) {
        if (operands.size() != n) {
            throw new UsageException((operands.size() < n ? "missing argument" : "too many arguments")
                    + "; usage: stepwise [--db PATH] " + usage);
        }
    }

    /** Parses {@code --run-at}: an ISO-8601 instant or date-time with offset, or {@code +N} ms/s/m/h/d from now. */
    static Instant parseRunAt(String raw, Instant now) {
        String s = raw.strip();
        if (s.startsWith("+")) {
            Optional<Duration> d = duration(s.substring(1));
            if (d.isPresent()) {
                return now.plus(d.get());
            }
        }
        try {
            return Instant.parse(raw.strip());
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(raw.strip()).toInstant();
            } catch (DateTimeParseException e2) {
                throw new UsageException("--run-at must be an ISO-8601 instant like 2030-01-01T09:00:00Z or +DURATION"
                        + " like +30s, +5m, +2h, +1d, +500ms; was '" + raw + "'");
            }
        }
    }

    /**
     * Parses a duration option such as {@code --older-than}: N followed by ms, s, m, h or d.
     *
     * @param raw  the option's value
     * @param name the option, for the message
     * @return the duration
     * @throws UsageException if it is not of that form
     */
    static Duration parseDuration(String raw, String name) {
        return duration(raw.strip()).orElseThrow(() -> new UsageException(name + " must be a duration like 30s, 5m, 2h, 1d"
                + " or 500ms; was '" + raw + "'"));
    }

    private static Optional<Duration> duration(String s) {
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        });
    }

    /**
     * Parses {@code --input}: inline JSON or {@code @FILE}, which must be an object.
     *
     * @param raw the option's value, or null when it was not given ({@code {}})
     * @return the input object
     * @throws UsageException if it is not a JSON object, or its file is missing or unreadable
     */
    static JsonNode parseInput(String raw) {
        if (raw == null) {
            return JSON.createObjectNode();
        }
        JsonNode node = parseJson(raw, "--input");
        if (!node.isObject()) {
            throw new UsageException((raw.startsWith("@") ? "--input file " + raw.substring(1) : "--input")
                    + " must be a JSON object, was " + node.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        return node;
    }

    /** Parses JSON given inline or, as {@code @FILE}, in a file; {@code name} names it in errors. */
    static JsonNode parseJson(String raw, String name) {
        String text = raw;
        String what = name;
        if (raw.startsWith("@")) {
            Path file;
            try {
                file = Path.of(raw.substring(1));
            } catch (InvalidPathException e) {
                throw new UsageException(name + " name '" + raw.substring(1) + "' is not a valid path");
            }
            what = (name.equals("--input") ? "--input file " : name + " ") + file;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new UsageException(what + " does not exist");
            } catch (IOException e) {
                throw new UsageException(what + " cannot be read: " + e);
            }
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JacksonException e) {
            TokenStreamLocation loc = e.getLocation();
            throw new UsageException(what + " is not valid JSON: " + StepwiseCli.firstLine(e.getOriginalMessage())
                    + (loc == null ? "" : " at line " + loc.getLineNr() + " column " + loc.getColumnNr()));
        }
        if (node == null || node.isMissingNode()) {
            throw new UsageException(what + " is empty; give a JSON " + (name.equals("--input")
                    ? "object, e.g. {\"file\": \"README.md\"}" : "value"));
        }
        return node;
    }
}
