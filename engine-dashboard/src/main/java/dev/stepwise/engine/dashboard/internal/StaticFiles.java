package dev.stepwise.engine.dashboard.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The page's files, read once from the classpath folder {@value #FOLDER}. Only the files listed
 * here are served, by exact name, so no path can reach anything else.
 */
public final class StaticFiles {
    /** The classpath folder of the page. */
    public static final String FOLDER = "/dev/stepwise/engine/dashboard/static/";

    /** A served file. @param contentType its media type @param bytes its content */
    public record File(String contentType, byte[] bytes) {
    }

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    private final Map<String, File> files = new LinkedHashMap<>();

    /** Loads the files. @throws IllegalStateException if one is missing from the classpath */
    public StaticFiles() {
        FILES.forEach((name, type) -> {
            try (InputStream in = StaticFiles.class.getResourceAsStream(FOLDER + name)) {
                if (in == null) {
                    throw new IllegalStateException("dashboard resource " + FOLDER + name + " is missing from the classpath");
                }
                files.put(name, new File(type, in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * @param path the request path: {@code /} for the page, {@code /static/NAME} for a file
     * @return the file, or empty
     */
    public Optional<File> find(String path) {
        if (path.equals("/") || path.equals("/index.html")) {
            return Optional.of(files.get("index.html"));
        }
        if (path.equals("/favicon.ico")) {
            return Optional.of(files.get("favicon.svg"));
        }
        if (path.startsWith("/static/")) {
            return Optional.ofNullable(files.get(path.substring("/static/".length())));
        }
        return Optional.empty();
    }
}
