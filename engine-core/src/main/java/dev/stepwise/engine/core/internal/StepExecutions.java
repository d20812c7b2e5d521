package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.InvalidOutputException;
import dev.stepwise.engine.api.JobCancelledException;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepTimeout;
import dev.stepwise.engine.api.StepTimeoutException;
import dev.stepwise.engine.api.Validator;
import dev.stepwise.engine.api.ValidatorSpec;
import dev.stepwise.engine.core.EngineListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The runner's first room: launches a step (on the caller's thread or the engine's step
 * executor), awaits the next one to end, enforces timeouts and the stop deadline, and turns
 * whatever the step did into an {@link Outcome}. Nothing a step does escapes as a throw.
 */
final class StepExecutions {
    private static final Logger LOG = LoggerFactory.getLogger(StepExecutions.class);

    private final String jobId;
    private final EngineServices services;
    private final RunHandle handle;
    private final Map<Integer, Execution> running = new HashMap<>();
    private final BlockingQueue<Done> completions = new LinkedBlockingQueue<>();
    private long seq;

    StepExecutions(String jobId, EngineServices services, RunHandle handle) {
        this.jobId = jobId;
        this.services = services;
        this.handle = handle;
    }

    /** What {@link #await} found. */
    sealed interface Awaited {
        /**
         * A step ended.
         *
         * @param index      the step's index in the recipe
         * @param outcome    how
         * @param durationMs its wall time
         */
        record Done(int index, Outcome outcome, long durationMs) implements Awaited {
        }

        /** @param indexes steps given up on because the stop deadline passed (they run again later) */
        record Abandoned(List<Integer> indexes) implements Awaited {
        }

        /** Nothing ended within the wait. */
        record Nothing() implements Awaited {
        }
    }

    private record Done(int index, long seq, Outcome outcome, long durationMs) {
    }

    /** One execution of a step. */
    private final class Execution {
        final int index;
        final long seq = ++StepExecutions.this.seq;
        final long startNanos = System.nanoTime();
        final long deadlineNanos;
        final String stepKey;
        final StepTimeout timeout;
        volatile Future<?> future;
        volatile boolean abandoned;

        Execution(int index, String stepKey, StepTimeout timeout) {
            this.index = index;
            this.stepKey = stepKey;
            this.timeout = timeout;
            this.deadlineNanos = timeout.limit().map(l -> startNanos + l.toNanos()).orElse(Long.MAX_VALUE);
        }

        void abandon() {
            abandoned = true;
            Future<?> f = future;
            if (f != null) {
                f.cancel(true);
            }
        }
    }

    /** @return whether no step is running */
    boolean isEmpty() {
        return running.isEmpty();
    }

    /** @return how many steps are running */
    int size() {
        return running.size();
    }

    /** @param index a step @return whether it is running */
    boolean isRunning(int index) {
        return running.containsKey(index);
    }

    /**
     * Starts a step. On the caller's thread it has ended when this returns (its completion is
     * queued); off it, it runs on the engine's step executor.
     *
     * @param index    the step's index
     * @param def      its definition
     * @param impl     its implementation
     * @param ctx      its context
     * @param offThread whether to run it on the step executor
     * @param events    the run's engine events (the attempt's observers open their scopes on the step's thread)
     */
    void launch(int index, StepDefinition def, Step impl, DefaultStepContext ctx, boolean offThread, RunEvents events) {
        Execution e = new Execution(index, def.key(), def.timeout());
        running.put(index, e);
        Runnable body = () -> {
            Outcome outcome;
            try (StepMdc mdc = StepMdc.set(jobId, events.recipe(), def.key(), ctx.attempt());
                    EngineListener.Scope scope = events.executing(index)) {
                outcome = execute(impl, def, ctx);
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - e.startNanos);
            if (!e.abandoned) {
                completions.add(new Done(index, e.seq, outcome, ms));
            } else {
                LOG.warn("job {} step {}: late result of an abandoned execution discarded", jobId, def.key());
            }
        };
        if (offThread) {
            e.future = services.stepExecutor().get().submit(body);
        } else {
            body.run();
        }
    }

    /**
     * Waits for the next step to end, at most {@code maxWait}, enforcing timeouts and the stop
     * deadline.
     *
     * @param maxWait the longest wait (the runner's tick, or less when a retry is due sooner)
     * @return what ended, if anything
     */
    Awaited await(Duration maxWait) {
        long start = System.nanoTime();
        long until = start + maxWait.toNanos();
        while (true) {
            long now = System.nanoTime();
            long wait = until - now;
            for (Execution e : running.values()) {
                if (e.deadlineNanos - now <= 0) {
                    e.abandon();
                    running.remove(e.index);
                    return new Awaited.Done(e.index, new Outcome.TimedOut(new StepTimeoutException(e.stepKey, e.timeout.limit().orElseThrow())),
                            TimeUnit.NANOSECONDS.toMillis(now - e.startNanos));
                }
                wait = Math.min(wait, e.deadlineNanos - now);
            }
            if (handle.stopRequested() && !running.isEmpty()) {
                long toDeadline = handle.stopDeadlineNanos() - now;
                if (toDeadline <= 0) {
                    return abandonAll();
                }
                wait = Math.min(wait, toDeadline);
            }
            if (wait <= 0) {
                return new Awaited.Nothing();
            }
            try {
                Done d = completions.poll(wait, TimeUnit.NANOSECONDS);
                if (d != null) {
                    Execution e = running.get(d.index());
                    if (e != null && e.seq == d.seq()) {
                        running.remove(d.index());
                        return new Awaited.Done(d.index(), d.outcome(), d.durationMs());
                    }
                    // a stale completion of an abandoned execution: wait on
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                handle.requestStop(System.nanoTime());
                return running.isEmpty() ? new Awaited.Nothing() : abandonAll();
            }
        }
    }

    /** Gives up on every running step (stop deadline, end of the run). */
    Awaited.Abandoned abandonAll() {
        List<Integer> indexes = new ArrayList<>(running.keySet());
        running.values().forEach(Execution::abandon);
        running.clear();
        return new Awaited.Abandoned(indexes);
    }

    // ------------------------------------------------------------------ one execution

    /** Invokes and checks a step; whatever happens, the result is an outcome (never a throw). */
    private Outcome execute(Step impl, StepDefinition def, DefaultStepContext ctx) {
        try {
            return checked(invoke(impl, ctx), def, ctx);
        } catch (VirtualMachineError e) {
            return fromError(e);
        } catch (Throwable e) {
            LOG.warn("job {} step {}: checking its result failed", jobId, def.key(), e);
            return new Outcome.Failed("its result could not be checked: " + describe(e), e);
        }
    }

    private static Outcome fromError(VirtualMachineError e) {
        // a stack overflow has unwound its stack: an ordinary failure; anything else may leave the VM unusable
        return e instanceof StackOverflowError ? new Outcome.Failed(describe(e), e) : new Outcome.Fatal(describe(e), e);
    }

    private Outcome invoke(Step impl, DefaultStepContext ctx) {
        Object result;
        try {
            result = impl.execute(ctx);
        } catch (JobCancelledException e) {
            return new Outcome.Cancelled();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Failed("interrupted: " + describe(e), e);
        } catch (VirtualMachineError e) {
            return fromError(e);
        } catch (Throwable e) {
            LOG.debug("job {} step {} threw", jobId, ctx.stepKey(), e);
            return new Outcome.Failed(describe(e), e);
        }
        JsonGuard.Converted converted = services.jsonGuard().convert(result);
        if (converted instanceof JsonGuard.Converted.Ok ok) {
            return new Outcome.Succeeded(ok.node(), ok.canonical());
        }
        String problem = ((JsonGuard.Converted.Refused) converted).problem();
        return new Outcome.Failed(problem, new InvalidOutputException(jobId, ctx.stepKey(), problem));
    }

    /** Output schema and secret checks, and redaction of secrets from failure reasons. */
    private Outcome checked(Outcome outcome, StepDefinition def, DefaultStepContext ctx) {
        if (outcome instanceof Outcome.Failed f) {
            return new Outcome.Failed(Secrets.redact(f.reason(), ctx.resolvedSecrets()), f.cause());
        }
        if (outcome instanceof Outcome.Fatal f) {
            return new Outcome.Fatal(Secrets.redact(f.reason(), ctx.resolvedSecrets()), f.cause());
        }
        if (!(outcome instanceof Outcome.Succeeded ok)) {
            return outcome;
        }
        if (!ctx.resolvedSecrets().isEmpty()) {
            String text = ok.canonical();
            if (!Secrets.redact(text, ctx.resolvedSecrets()).equals(text)) {
                return permanent("its output contains a resolved secret; secrets are never stored");
            }
        }
        if (def.outputSchema() != null) {
            JsonNode output = ok.output();
            var violations = services.schemas().validate(def.outputSchema(), output);
            if (!violations.isEmpty()) {
                return permanent("its output does not match its output_schema (" + violations.size() + " violation"
                        + (violations.size() == 1 ? "" : "s") + "): "
                        + String.join("; ", violations.stream().map(Object::toString).toList()));
            }
        }
        return validated(ok, def);
    }

    /**
     * Runs the step's validators: every problem of every validator is listed; the failure is
     * retryable (by the step's policy) only if every validator that found a problem is.
     */
    private Outcome validated(Outcome.Succeeded ok, StepDefinition def) {
        List<String> problems = new ArrayList<>();
        boolean retryable = true;
        for (ValidatorSpec spec : def.validators()) {
            Validator validator = services.validators().get(spec.type());
            List<String> found;
            if (validator == null) {
                found = List.of("no validator of type '" + spec.type() + "' is registered in this engine");
            } else {
                try {
                    found = validator.validate(ok.output(), spec.params(), services.artifacts());
                } catch (RuntimeException e) {
                    found = List.of("validator '" + spec.type() + "' failed: " + describe(e));
                }
            }
            if (!found.isEmpty()) {
                found.forEach(p -> problems.add(spec.type() + ": " + p));
                retryable &= spec.retryable();
            }
        }
        if (problems.isEmpty()) {
            return ok;
        }
        String reason = "its output failed validation (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                + "): " + String.join("; ", problems);
        InvalidOutputException invalid = new InvalidOutputException(jobId, def.key(), reason);
        return new Outcome.Failed(reason, retryable ? invalid : new PermanentStepException(reason, invalid));
    }

    /** A failure no retry can fix (the same output would be refused again). */
    private static Outcome permanent(String reason) {
        return new Outcome.Failed(reason, new PermanentStepException(reason));
    }

    static String describe(Throwable e) {
        String msg = e.getMessage();
        String name = e.getClass().getSimpleName();
        return msg == null || msg.isBlank() ? name : name + ": " + firstLine(msg);
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
