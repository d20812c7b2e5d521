package dev.stepwise.engine.core;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.JobStoreContract;
import java.nio.file.Path;

class InMemoryJobStoreTest extends JobStoreContract {
    @Override
    protected JobStore openStore(Path dir) {
        return new InMemoryJobStore();
    }
}
