package dev.stepwise.engine.core;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.RetryFromContract;
import java.nio.file.Path;

class InMemoryRetryFromTest extends RetryFromContract {
    @Override
    protected JobStore openStore(Path dir) {
        return new InMemoryJobStore();
    }
}
