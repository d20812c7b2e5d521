package dev.stepwise.engine.anthropic;

import static dev.stepwise.engine.anthropic.ClaudeFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.engine.api.PermanentStepException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The placeholder rules every script writer shares. */
class PromptTemplateTest {

    @Test
    void placeholdersAreFilledFromTheInputThenTheDefaults() {
        PromptTemplate t = PromptTemplate.fromPrompt("p", json(
                "{\"template\": \"About {{topic}} in {{ words }} words for {{audience}}; {{topic}} again.\", "
                        + "\"defaults\": {\"words\": 150, \"audience\": \"children\"}}"));
        assertEquals(List.of("topic", "words", "audience"), t.placeholders());
        assertEquals("About tides in 80 words for children; tides again.", t.render(json("{\"topic\": \"tides\", \"words\": 80}")));
        assertEquals("About tides in 150 words for children; tides again.", t.render(json("{\"topic\": \"tides\", \"words\": null}")));
    }

    @Test
    void nonStringValuesAreWrittenAsJson() {
        assertEquals("x=true y=[1,2] z={\"a\":1}", PromptTemplate.of("x={{x}} y={{y}} z={{z}}")
                .render(json("{\"x\": true, \"y\": [1, 2], \"z\": {\"a\": 1}}")));
    }

    @Test
    void aPlaceholderWithNoValueIsAPermanentFailureNamingIt() {
        PermanentStepException e = assertThrows(PermanentStepException.class,
                () -> PromptTemplate.fromPrompt("script", json("{\"template\": \"{{topic}} for {{tone}}\"}"))
                        .render(json("{\"topic\": \"tides\", \"words\": 3}")));
        assertEquals("prompt 'script' has placeholder {{tone}} but the job input has no field 'tone' and the prompt no default for it "
                + "(fields: topic, words)", e.getMessage());
    }

    @Test
    void malformedTemplatesAndDocumentsAreRefused() {
        assertEquals("template has a '{{' that opens no placeholder, near \"{{topic and more\"; write placeholders as {{name}}",
                assertThrows(PermanentStepException.class, () -> PromptTemplate.of("About {{topic and more")).getMessage());
        assertEquals("template has an invalid placeholder {{two words}}: a name is letters, digits and _, starting with a letter or _",
                assertThrows(PermanentStepException.class, () -> PromptTemplate.of("{{two words}}")).getMessage());
        assertThrows(PermanentStepException.class, () -> PromptTemplate.fromPrompt("p", json("{\"text\": \"no template\"}")));
        assertThrows(PermanentStepException.class, () -> PromptTemplate.fromPrompt("p", json("{\"template\": \"x\", \"defaults\": 3}")));
        assertEquals("plain } braces {single} stay", PromptTemplate.of("plain } braces {single} stay").render(json("{}")));
    }
}
