package dev.stepwise.engine.examples.wordcount;

import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Step {@code tokenize}: splits the text of an earlier step (param {@code from}, default
 * {@code "read"}) into lowercase words and returns {@code {"words": [...], "count": n}}.
 *
 * <p>A word is a run of letters or digits, with inner apostrophes kept ({@code don't}).
 * Checks for a cancel every {@value #CANCEL_CHECK_EVERY} words.
 */
public final class Tokenize implements Step {
    static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['’][\\p{L}\\p{N}]+)*");
    static final int CANCEL_CHECK_EVERY = 10_000;

    @Override
    public Object execute(StepContext ctx) {
        String from = ctx.params().path("from").asString("read");
        String text = ctx.output(from).path("text").asString();
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            words.add(m.group().replace('’', '\'').toLowerCase(Locale.ROOT));
            if (words.size() % CANCEL_CHECK_EVERY == 0) {
                ctx.throwIfCancelled();
            }
        }
        ctx.log().info("{} words", words.size());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", words.size());
        out.put("words", words);
        return out;
    }
}
