package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.AttemptOutcome;
import dev.stepwise.engine.api.StepTimeoutException;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** How one execution of a step ended, as {@link StepExecutions} reports it to the runner. */
sealed interface Outcome {
    /** @return the attempt's outcome as recorded */
    AttemptOutcome recorded();

    /** @return what the step row and the job's last error say about it */
    String reason();

    /** @return what the step threw, the timeout or the refusal of its output; empty if it succeeded or was cancelled */
    default Optional<Throwable> failure() {
        return Optional.empty();
    }

    /**
     * It returned an output that passed every check.
     *
     * @param output    the output
     * @param canonical its canonical JSON text (reused for the input hashes downstream)
     */
    record Succeeded(JsonNode output, String canonical) implements Outcome {
        @Override
        public AttemptOutcome recorded() {
            return AttemptOutcome.SUCCEEDED;
        }

        @Override
        public String reason() {
            return "succeeded";
        }
    }

    /**
     * It threw, or returned something that was refused.
     *
     * @param reason what the step row and the job's last error say
     * @param cause  what the retry policy looks at
     */
    record Failed(String reason, Throwable cause) implements Outcome {
        @Override
        public AttemptOutcome recorded() {
            return AttemptOutcome.FAILED;
        }

        @Override
        public Optional<Throwable> failure() {
            return Optional.of(cause);
        }
    }

    /**
     * It ran past its timeout and was abandoned.
     *
     * @param error the timeout, with the step and the limit
     */
    record TimedOut(StepTimeoutException error) implements Outcome {
        @Override
        public AttemptOutcome recorded() {
            return AttemptOutcome.TIMED_OUT;
        }

        @Override
        public String reason() {
            return error.getMessage();
        }

        @Override
        public Optional<Throwable> failure() {
            return Optional.of(error);
        }
    }

    /** It stopped because the job was cancelled. */
    record Cancelled() implements Outcome {
        @Override
        public AttemptOutcome recorded() {
            return AttemptOutcome.CANCELLED;
        }

        @Override
        public String reason() {
            return "cancelled while running";
        }
    }

    /**
     * It threw an error after which the VM may be unusable (out of memory): failed, not retried,
     * rethrown once recorded.
     *
     * @param reason what the step row says
     * @param cause  the error
     */
    record Fatal(String reason, VirtualMachineError cause) implements Outcome {
        @Override
        public AttemptOutcome recorded() {
            return AttemptOutcome.FAILED;
        }

        @Override
        public Optional<Throwable> failure() {
            return Optional.of(cause);
        }
    }
}
