package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.core.JsonLimits;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.core.json.JsonWriteFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.POJONode;

/**
 * Checks job inputs and turns step results into JSON within {@link JsonLimits}, without
 * recursion: depth is measured by an explicit walk before anything recursive (canonical JSON,
 * schema validation, copying, the store) touches the value, and Java objects are written by a
 * generator that stops at the depth limit, so a cycle is refused instead of overflowing the stack.
 */
public final class JsonGuard {
    private static final int MAX_PATH_SEGMENTS = 8;

    private final JsonLimits limits;
    private final JsonMapper converter;

    /** @param limits the limits */
    public JsonGuard(JsonLimits limits) {
        this.limits = limits;
        JsonFactory factory = JsonFactory.builder()
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(limits.maxDepth()).build())
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(limits.maxDepth()).build())
                .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS) // NaN stays a number so the walk can refuse it
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .build();
        this.converter = JsonMapper.builder(factory).enable(SerializationFeature.FAIL_ON_EMPTY_BEANS).build();
    }

    /** A step result as JSON, or why it cannot be one. */
    public sealed interface Converted {
        /**
         * @param node      the value
         * @param canonical its canonical JSON text
         */
        record Ok(JsonNode node, String canonical) implements Converted {
        }

        /** @param problem what is wrong, phrased to follow "its output cannot be recorded: " */
        record Refused(String problem) implements Converted {
        }
    }

    /**
     * @param value what a step returned
     * @return the JSON value with its canonical text, or the reason it is refused
     */
    public Converted convert(Object value) {
        if (value == null) {
            return new Converted.Refused("it returned null; a step must return a JSON value (for nothing, an empty object)");
        }
        JsonNode node;
        if (value instanceof JsonNode n) {
            if (n.isMissingNode()) {
                return new Converted.Refused("it returned a value that is not JSON (" + value.getClass().getName() + ")");
            }
            node = n;
        } else {
            byte[] bytes;
            try {
                bytes = converter.writeValueAsBytes(value);
            } catch (StreamConstraintsException | StackOverflowError e) {
                return new Converted.Refused("it nests deeper than " + limits.maxDepth()
                        + " levels or refers to itself (" + value.getClass().getName() + ")");
            } catch (JacksonException | IllegalArgumentException e) {
                return new Converted.Refused("it returned a value that cannot become JSON (" + value.getClass().getName()
                        + "): " + StepExecutions.firstLine(e instanceof JacksonException je ? je.getOriginalMessage() : e.getMessage()));
            }
            if (bytes.length > limits.maxBytes()) {
                return tooLarge(bytes.length);
            }
            node = converter.readTree(bytes);
        }
        Optional<String> problem = walk(node);
        if (problem.isPresent()) {
            return new Converted.Refused(problem.get());
        }
        String canonical = Json.canonical(node);
        long size = utf8Length(canonical);
        return size > limits.maxBytes() ? tooLarge(size) : new Converted.Ok(node, canonical);
    }

    /**
     * Checks a job input against the limits (not against a schema).
     *
     * @param input the input
     * @return its violation, if any
     */
    public Optional<InvalidInputException.Violation> checkInput(JsonNode input) {
        Optional<String> problem = walk(input);
        if (problem.isEmpty()) {
            long size = utf8Length(Json.canonical(input));
            if (size > limits.maxBytes()) {
                problem = Optional.of(tooLarge(size).problem());
            }
        }
        return problem.map(p -> new InvalidInputException.Violation("$", p));
    }

    private Converted.Refused tooLarge(long size) {
        return new Converted.Refused("it is " + size + " bytes of JSON, over the limit of " + limits.maxBytes() + " bytes");
    }

    private record Frame(JsonNode node, int depth, Frame parent, String segment) {
        String path() {
            List<String> segments = new ArrayList<>();
            for (Frame f = this; f.parent != null; f = f.parent) {
                segments.add(f.segment);
            }
            Collections.reverse(segments);
            StringBuilder b = new StringBuilder("$");
            segments.stream().limit(MAX_PATH_SEGMENTS).forEach(b::append);
            if (segments.size() > MAX_PATH_SEGMENTS) {
                b.append("... (").append(segments.size() - MAX_PATH_SEGMENTS).append(" more)");
            }
            return b.toString();
        }
    }

    /** Depth, non-finite numbers and non-JSON nodes, by an explicit stack (no recursion). */
    private Optional<String> walk(JsonNode root) {
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(root, 0, null, ""));
        while (!stack.isEmpty()) {
            Frame f = stack.pop();
            JsonNode n = f.node();
            if (n.isContainer()) {
                int depth = f.depth() + 1;
                if (depth > limits.maxDepth()) {
                    return Optional.of("it nests deeper than " + limits.maxDepth() + " levels (at " + f.path() + ")");
                }
                if (n.isObject()) {
                    for (Map.Entry<String, JsonNode> e : n.properties()) {
                        stack.push(new Frame(e.getValue(), depth, f, "." + e.getKey()));
                    }
                } else {
                    for (int i = 0; i < n.size(); i++) {
                        stack.push(new Frame(n.get(i), depth, f, "[" + i + "]"));
                    }
                }
            } else if (n.isFloatingPointNumber() && !Double.isFinite(n.doubleValue())) {
                return Optional.of("it holds a number that is not finite (" + n.doubleValue() + ") at " + f.path()
                        + "; JSON has no NaN or Infinity");
            } else if (n instanceof POJONode p) {
                return Optional.of("it holds a Java object with no JSON form ("
                        + (p.getPojo() == null ? "null" : p.getPojo().getClass().getName()) + ") at " + f.path());
            }
        }
        return Optional.empty();
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
