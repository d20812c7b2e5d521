package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.PermanentStepException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a prompt template: {@code {{name}}} (spaces inside the braces allowed) is replaced by
 * the variable's value; a placeholder with no variable fails permanently, naming it. (The same
 * rules as engine-anthropic's {@code PromptTemplate}; kept package-private here so the offline
 * writer needs no model SDK.)
 */
final class PromptTemplate {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.-]+)\\s*}}");

    private PromptTemplate() {
    }

    /**
     * @param template  the template text
     * @param variables values by name
     * @param name      names the template in the error
     * @return the rendered text
     * @throws PermanentStepException if a placeholder has no variable
     */
    static String render(String template, Map<String, String> variables, String name) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + 64);
        java.util.Set<String> unknown = new java.util.TreeSet<>();
        while (m.find()) {
            String value = variables.get(m.group(1));
            if (value == null) {
                unknown.add(m.group(1));
                value = m.group();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        if (!unknown.isEmpty()) {
            throw new PermanentStepException("prompt '" + name + "' has the placeholder" + (unknown.size() > 1 ? "s " : " ")
                    + unknown.stream().map(u -> "{{" + u + "}}").toList() + ", which " + (unknown.size() > 1 ? "have" : "has")
                    + " no value; known: " + variables.keySet().stream().sorted().map(k -> "{{" + k + "}}").toList());
        }
        return out.toString();
    }
}
