package dev.stepwise.engine.azure.speech.internal;

/** Builds the SSML document of one synthesis request. */
public final class Ssml {
    private Ssml() {
    }

    /**
     * @param voice the voice (name, language, style, prosody)
     * @param text  plain text; every {@code <&>"'} is escaped and characters XML 1.0 forbids are dropped
     * @return the SSML document
     */
    public static String of(VoiceSettings voice, String text) {
        StringBuilder sb = new StringBuilder(text.length() + 400);
        sb.append("<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\" ")
                .append("xmlns:mstts=\"https://www.w3.org/2001/mstts\" xml:lang=\"").append(escape(voice.language())).append("\">")
                .append("<voice name=\"").append(escape(voice.name())).append("\">");
        voice.style().ifPresent(s -> sb.append("<mstts:express-as style=\"").append(escape(s)).append("\">"));
        boolean prosody = voice.rate().isPresent() || voice.pitch().isPresent();
        if (prosody) {
            sb.append("<prosody");
            voice.rate().ifPresent(r -> sb.append(" rate=\"").append(escape(r)).append('"'));
            voice.pitch().ifPresent(p -> sb.append(" pitch=\"").append(escape(p)).append('"'));
            sb.append('>');
        }
        sb.append(escape(text));
        if (prosody) {
            sb.append("</prosody>");
        }
        voice.style().ifPresent(s -> sb.append("</mstts:express-as>"));
        return sb.append("</voice></speak>").toString();
    }

    /**
     * @param s any text
     * @return the text as XML character data or attribute value: {@code & < > " '} escaped,
     *         characters that XML 1.0 does not allow (most control characters, lone surrogates) dropped
     */
    public static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&': out.append("&amp;"); break;
                case '<': out.append("&lt;"); break;
                case '>': out.append("&gt;"); break;
                case '"': out.append("&quot;"); break;
                case '\'': out.append("&apos;"); break;
                default:
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (allowed(c)) {
                        out.append(c);
                    }
            }
        }
        return out.toString();
    }

    private static boolean allowed(char c) {
        return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD);
    }
}
