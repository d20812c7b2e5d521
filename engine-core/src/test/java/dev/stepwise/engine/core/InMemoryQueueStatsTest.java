package dev.stepwise.engine.core;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.QueueStatsContract;
import java.nio.file.Path;

/** The queue stats contract on the in-memory store. */
class InMemoryQueueStatsTest extends QueueStatsContract {
    @Override
    protected JobStore openStore(Path dir) {
        return new InMemoryJobStore();
    }
}
