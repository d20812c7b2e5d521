package dev.stepwise.engine.core;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.ArtifactsContract;
import java.nio.file.Path;

class InMemoryArtifactsTest extends ArtifactsContract {
    @Override
    protected JobStore openStore(Path dir) {
        return new InMemoryJobStore();
    }
}
