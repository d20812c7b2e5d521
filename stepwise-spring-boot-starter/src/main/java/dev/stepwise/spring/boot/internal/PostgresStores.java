package dev.stepwise.spring.boot.internal;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.postgres.PostgresJobStore;
import javax.sql.DataSource;

/** The only class of the starter that names engine-postgres: loaded only when it is present. */
final class PostgresStores {
    private PostgresStores() {
    }

    static JobStore open(DataSource dataSource, String schema) {
        return PostgresJobStore.builder(dataSource).schema(schema).build();
    }
}
