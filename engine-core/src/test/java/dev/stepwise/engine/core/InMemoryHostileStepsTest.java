package dev.stepwise.engine.core;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.HostileStepsContract;
import java.nio.file.Path;

class InMemoryHostileStepsTest extends HostileStepsContract {
    @Override
    protected JobStore openStore(Path dir) {
        return new InMemoryJobStore();
    }
}
