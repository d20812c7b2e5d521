package dev.stepwise.packaging;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** A pom.xml read with the JDK's DOM: the few elements the packaging check needs, properties interpolated. */
final class Pom {
    private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

    final Path file;
    final Element root;
    final Map<String, String> properties;

    private Pom(Path file, Element root, Map<String, String> properties) {
        this.file = file;
        this.root = root;
        this.properties = properties;
    }

    /**
     * @param file    a pom.xml
     * @param inherited the parent's properties (empty for a pom without a parent)
     */
    static Pom read(Path file, Map<String, String> inherited) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document doc = f.newDocumentBuilder().parse(file.toFile());
            Element root = doc.getDocumentElement();
            Map<String, String> props = new TreeMap<>(inherited);
            child(root, "properties").ifPresent(p -> children(p).forEach(e -> props.put(e.getTagName(), e.getTextContent().strip())));
            return new Pom(file, root, props);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + file + ": " + e, e);
        }
    }

    static Pom read(Path file, Pom parent) {
        return read(file, parent.properties);
    }

    static Pom readBytes(byte[] xml, Path nameForMessages) {
        try {
            Path tmp = Files.createTempFile("pom", ".xml");
            try {
                Files.write(tmp, xml);
                Pom p = read(tmp, Map.of());
                return new Pom(nameForMessages, p.root, p.properties);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the text at a path of child elements ("scm/url"), interpolated, or "" */
    String text(String path) {
        Element e = root;
        for (String name : path.split("/")) {
            Optional<Element> c = child(e, name);
            if (c.isEmpty()) {
                return "";
            }
            e = c.get();
        }
        return interpolate(e.getTextContent().strip());
    }

    String interpolate(String s) {
        Matcher m = PROPERTY.matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = properties.get(m.group(1));
            m.appendReplacement(b, Matcher.quoteReplacement(v == null ? m.group() : interpolate(v)));
        }
        m.appendTail(b);
        return b.toString();
    }

    String property(String name) {
        String v = properties.get(name);
        return v == null ? "" : interpolate(v);
    }

    String artifactId() {
        return text("artifactId");
    }

    String packaging() {
        String p = text("packaging");
        return p.isEmpty() ? "jar" : p;
    }

    List<Element> all(String path) {
        String[] names = path.split("/");
        List<Element> level = List.of(root);
        for (String name : names) {
            List<Element> next = new ArrayList<>();
            for (Element e : level) {
                for (Element c : children(e)) {
                    if (c.getTagName().equals(name)) {
                        next.add(c);
                    }
                }
            }
            level = next;
        }
        return level;
    }

    static String childText(Element e, String name) {
        return child(e, name).map(c -> c.getTextContent().strip()).orElse("");
    }

    static Optional<Element> child(Element e, String name) {
        return children(e).stream().filter(c -> c.getTagName().equals(name)).findFirst();
    }

    static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                out.add(c);
            }
        }
        return out;
    }
}
