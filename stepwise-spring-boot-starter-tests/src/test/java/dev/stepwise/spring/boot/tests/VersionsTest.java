package dev.stepwise.spring.boot.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;

/**
 * This module inherits {@code spring-boot-starter-parent} (a parent's version cannot be a
 * property): it must be the Spring Boot that stepwise-parent compiles the starter against.
 */
class VersionsTest {

    static String property(Path pom, String name) throws IOException {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(pom));
        assertThat(m.find()).as(name + " in " + pom).isTrue();
        return m.group(1).strip();
    }

    @Test
    void theTestsRunOnTheSpringBootTheStarterIsBuiltWith() throws IOException {
        assertThat(SpringBootVersion.getVersion()).isEqualTo(property(Path.of("..", "pom.xml"), "spring-boot.version"));
    }

    @Test
    void theSampleInheritsTheSameSpringBoot() throws IOException {
        String sample = Files.readString(Path.of("..", "stepwise-spring-boot-sample", "pom.xml"));
        assertThat(sample).contains("<artifactId>spring-boot-starter-parent</artifactId>\n    <version>"
                + SpringBootVersion.getVersion() + "</version>");
    }
}
