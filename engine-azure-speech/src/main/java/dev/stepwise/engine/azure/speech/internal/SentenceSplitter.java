package dev.stepwise.engine.azure.speech.internal;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a long text into pieces of at most a given number of characters, at sentence boundaries
 * ({@link BreakIterator#getSentenceInstance(Locale)} for the voice's language): sentences are packed
 * greedily into pieces; a sentence longer than the limit is cut at the last whitespace before it
 * (or, for a run with no whitespace, at the limit, never inside a surrogate pair). Pieces are trimmed;
 * blank pieces are dropped. Joining the pieces with single spaces gives the text back up to whitespace.
 */
public final class SentenceSplitter {
    private SentenceSplitter() {
    }

    /**
     * @param text     the text
     * @param maxChars the most characters (UTF-16 units) a piece may have, >= 1
     * @param locale   the text's language
     * @return the pieces, in order; empty for a blank text
     */
    public static List<String> split(String text, int maxChars, Locale locale) {
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars must be >= 1, was " + maxChars);
        }
        List<String> sentences = new ArrayList<>();
        BreakIterator it = BreakIterator.getSentenceInstance(locale);
        it.setText(text);
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            String s = text.substring(start, end).strip();
            if (!s.isEmpty()) {
                sentences.addAll(cut(s, maxChars));
            }
        }
        List<String> pieces = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String s : sentences) {
            int needed = current.length() == 0 ? s.length() : current.length() + 1 + s.length();
            if (needed > maxChars && current.length() > 0) {
                pieces.add(current.toString());
                current.setLength(0);
            }
            if (current.length() > 0) {
                current.append(' ');
            }
            current.append(s);
        }
        if (current.length() > 0) {
            pieces.add(current.toString());
        }
        return pieces;
    }

    /** @return a sentence cut into parts of at most maxChars, at whitespace where there is some */
    private static List<String> cut(String sentence, int maxChars) {
        List<String> parts = new ArrayList<>();
        String rest = sentence;
        while (rest.length() > maxChars) {
            int at = -1;
            for (int i = maxChars; i > 0; i--) {
                if (Character.isWhitespace(rest.charAt(i))) {
                    at = i;
                    break;
                }
            }
            if (at <= 0) {
                at = Character.isLowSurrogate(rest.charAt(maxChars)) && maxChars > 1 ? maxChars - 1 : maxChars;
            }
            String head = rest.substring(0, at).strip();
            if (!head.isEmpty()) {
                parts.add(head);
            }
            rest = rest.substring(at).strip();
        }
        if (!rest.isEmpty()) {
            parts.add(rest);
        }
        return parts;
    }
}
