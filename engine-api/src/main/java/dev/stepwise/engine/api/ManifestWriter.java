package dev.stepwise.engine.api;

import tools.jackson.databind.JsonNode;

/**
 * Receives a job's manifest when the job starts and when it reaches a terminal state, after
 * the store committed it. A writer that throws is logged and does not change the job: the
 * manifest on the job row stays the source of truth.
 */
@FunctionalInterface
public interface ManifestWriter {

    /**
     * @param job      the job as committed
     * @param manifest its manifest (validates against {@value Manifest#SCHEMA_RESOURCE})
     * @throws Exception on failure to write
     */
    void write(Job job, JsonNode manifest) throws Exception;
}
