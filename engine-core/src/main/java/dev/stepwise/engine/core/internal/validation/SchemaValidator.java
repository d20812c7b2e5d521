package dev.stepwise.engine.core.internal.validation;

import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.Validator;
import dev.stepwise.engine.core.internal.SchemaCache;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** {@code "type": "json_schema"}: the value matches {@code "schema"} (draft 2020-12); the step's {@code output_schema} is one of these. */
public final class SchemaValidator implements Validator {
    private final SchemaCache schemas;

    /** @param schemas the engine's schema cache */
    public SchemaValidator(SchemaCache schemas) {
        this.schemas = schemas;
    }

    @Override
    public List<String> validate(JsonNode output, JsonNode params, ArtifactStore artifacts) {
        Targets.Target target = Targets.at(output, params);
        if (target instanceof Targets.Target.Missing m) {
            return List.of(m.problem());
        }
        JsonNode value = ((Targets.Target.Found) target).value();
        return schemas.validate(params.get("schema"), value).stream().map(Object::toString).toList();
    }
}
