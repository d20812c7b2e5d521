package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.ArtifactsContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** Artifacts, validators and the step cache on PostgreSQL (the cache lookup uses the V2 index), a fresh schema per test. */
class PostgresArtifactsTest extends ArtifactsContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresArtifactsTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }
}
