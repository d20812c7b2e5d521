package dev.stepwise.engine.core.internal;

import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.stepwise.engine.api.InvalidInputException.Violation;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Transitional: the runner's uncached schema check, kept only until the runner calls
 * {@code services.schemas().validate(schema, value)} (the engine's {@link SchemaCache}); then
 * this class goes. Holds no state.
 *
 * @deprecated use {@link EngineServices#schemas()}
 */
@Deprecated
public final class Schemas {
    private Schemas() {
    }

    /**
     * Compiles the schema (not cached) and checks the value.
     *
     * @param schema a valid schema
     * @param value  a value
     * @return every violation, with its JSON path; empty when the value matches
     * @deprecated use {@code services.schemas().validate(schema, value)}
     */
    @Deprecated
    public static List<Violation> validate(JsonNode schema, JsonNode value) {
        return SchemaCache.violations(SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(schema), value);
    }
}
