package dev.stepwise.engine.api;

import java.util.Collection;
import java.util.List;

/** A job has no step with this key (e.g. retrying a job from a step its recipe does not have). */
public class UnknownStepException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;
    private final String stepKey;

    /**
     * @param jobId   the job
     * @param stepKey the step key asked for
     * @param known   the job's step keys, for the message
     */
    public UnknownStepException(String jobId, String stepKey, Collection<String> known) {
        super("job " + jobId + " has no step '" + stepKey + "'; its steps are: " + String.join(", ", List.copyOf(known)));
        this.jobId = jobId;
        this.stepKey = stepKey;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }

    /** @return the step key asked for */
    public String stepKey() {
        return stepKey;
    }
}
