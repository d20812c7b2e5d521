package dev.stepwise.engine.core;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.stepwise.engine.api.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Validates manifests against the published schema ({@value Manifest#SCHEMA_RESOURCE}). */
public final class ManifestSchema {
    private static final Schema SCHEMA = load();

    private ManifestSchema() {
    }

    private static Schema load() {
        try (InputStream in = Manifest.class.getResourceAsStream(Manifest.SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("manifest schema " + Manifest.SCHEMA_RESOURCE + " is missing from the classpath");
            }
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param manifest a manifest
     * @return its violations as {@code "<json path>: <message>"}; empty when it is valid
     */
    public static List<String> validate(JsonNode manifest) {
        List<Error> errors = SCHEMA.validate(manifest);
        return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
    }
}
