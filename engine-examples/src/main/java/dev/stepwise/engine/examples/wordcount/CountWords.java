package dev.stepwise.engine.examples.wordcount;

import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Step {@code count-words}: counts the words of the {@code tokenize} step and returns
 * {@code {"total": n, "distinct": n, "frequencies": {word: count}}}, most frequent first (ties
 * in alphabetical order).
 *
 * <p>Params: {@code minLength} (default 1) drops shorter words; {@code stopWords} (an array,
 * default none) drops those words.
 */
public final class CountWords implements Step {

    @Override
    public Object execute(StepContext ctx) {
        int minLength = ctx.params().path("minLength").asInt(1);
        Set<String> stop = new java.util.HashSet<>();
        for (JsonNode w : ctx.params().path("stopWords")) {
            stop.add(w.asString());
        }
        Map<String, Integer> counts = new HashMap<>();
        int total = 0;
        for (JsonNode w : ctx.output("tokenize").path("words")) {
            String word = w.asString();
            if (word.length() >= minLength && !stop.contains(word)) {
                counts.merge(word, 1, Integer::sum);
                total++;
            }
        }
        ctx.throwIfCancelled();
        List<Map.Entry<String, Integer>> sorted = counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .toList();
        Map<String, Integer> frequencies = new LinkedHashMap<>();
        sorted.forEach(e -> frequencies.put(e.getKey(), e.getValue()));
        ctx.log().info("{} words counted, {} distinct (minLength {}, {} stop words)", total, counts.size(), minLength,
                stop.size());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("total", total);
        out.put("distinct", counts.size());
        out.put("frequencies", frequencies);
        return out;
    }
}
