package dev.stepwise.engine.examples;

import static dev.stepwise.engine.examples.StepwiseCli.EXIT_COMPLETED;

import dev.stepwise.engine.api.ArtifactException;
import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.core.JobEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * The artifact commands: {@code artifacts gc [--older-than DURATION]} deletes artifacts no step
 * refers to, and {@code artifact JOB STEP [--out FILE] [--index N]} copies one a step produced
 * out of the artifact root ({@code <db file>-artifacts/}). A missing or corrupt artifact is an
 * {@code error:} line and exit {@value StepwiseCli#EXIT_FAILED}; an unknown job or step, or a
 * step without that artifact, exit {@value StepwiseCli#EXIT_USAGE}.
 */
final class ArtifactCommands implements Command {
    /** Default of {@code --older-than}: artifacts written in the last day are kept. */
    static final Duration DEFAULT_GRACE = Duration.ofHours(24);
    private static final String GC_USAGE = "artifacts gc [--older-than DURATION]";
    private static final String COPY_USAGE = "artifact JOB STEP [--out FILE] [--index N]";

    private final CliContext ctx;

    ArtifactCommands(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public int run(CliArgs a) {
        if (a.command.equals("artifact")) {
            return copy(a);
        }
        String sub = a.operands.isEmpty() ? "" : a.operands.get(0);
        if (!sub.equals("gc")) {
            throw new UsageException((sub.isEmpty() ? "missing subcommand" : "unknown subcommand 'artifacts " + sub + "'")
                    + "; usage: stepwise [--db PATH] " + GC_USAGE);
        }
        a.expectOperands(1, GC_USAGE);
        Duration olderThan = a.olderThan == null ? DEFAULT_GRACE : CliArgs.parseDuration(a.olderThan, "--older-than");
        try (Session s = Session.open(a.db, false, ctx.clock())) {
            ArtifactStore.Collected c = s.engine().collectArtifacts(olderThan);
            ctx.out().println("deleted " + c.artifacts() + " artifacts (" + c.bytes() + " bytes) and " + c.tempFiles()
                    + " temporary files");
            return EXIT_COMPLETED;
        }
    }

    private int copy(CliArgs a) {
        a.expectOperands(2, COPY_USAGE);
        String jobId = a.operands.get(0);
        String stepKey = a.operands.get(1);
        int index = a.index == null ? 0 : a.index;
        try (Session s = Session.open(a.db, false, ctx.clock())) {
            JobEngine engine = s.engine();
            String id = engine.job(jobId).id();
            List<JobStep> steps = engine.steps(id);
            JobStep step = steps.stream().filter(st -> st.stepKey().equals(stepKey)).findFirst()
                    .orElseThrow(() -> new UsageException("job " + id + " has no step '" + stepKey + "'; its steps: "
                            + String.join(", ", steps.stream().map(JobStep::stepKey).toList())));
            List<ArtifactRef> refs = ArtifactRef.findIn(step.outputRefs());
            if (index >= refs.size()) {
                throw new UsageException("step '" + stepKey + "' of job " + id + " (" + step.status() + ") has "
                        + (refs.isEmpty() ? "no artifacts in its output" : refs.size() + " artifact(s); --index must be below "
                        + refs.size()));
            }
            ArtifactRef ref = refs.get(index);
            try {
                if (a.out == null) {
                    toStdout(engine.artifacts(), ref);
                } else {
                    toFile(engine.artifacts(), ref, a.out);
                    ctx.out().println("wrote " + ref.id() + " (" + ref.mediaType() + ", " + ref.bytes() + " bytes) to " + a.out);
                }
            } catch (ArtifactException e) {
                throw new ArtifactException(e.artifact(), e.problem(), "step '" + stepKey + "' of job " + id + ": "
                        + describe(e), e);
            }
            return EXIT_COMPLETED;
        }
    }

    /** Checks the whole artifact first, so that a corrupt one writes nothing to stdout. */
    private void toStdout(ArtifactStore store, ArtifactRef ref) {
        if (!store.isIntact(ref)) {
            store.read(ref); // throws the precise MISSING or CORRUPT error
        }
        try (InputStream in = store.open(ref)) {
            in.transferTo(ctx.out());
            ctx.out().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write artifact " + ref.id() + " to stdout", e);
        }
    }

    /** Copies into a temporary file beside {@code out}, moved into place once the hash checked out. */
    private static void toFile(ArtifactStore store, ArtifactRef ref, Path out) {
        Path target = out.toAbsolutePath();
        Path part = target.resolveSibling(target.getFileName() + ".part");
        try {
            Files.createDirectories(target.getParent());
            try (InputStream in = store.open(ref); OutputStream os = Files.newOutputStream(part)) {
                in.transferTo(os);
            } catch (ArtifactException | IOException e) {
                Files.deleteIfExists(part);
                throw e;
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UsageException("cannot write --out " + out + ": " + e.getMessage());
        }
    }

    private static String describe(ArtifactException e) {
        return switch (e.problem()) {
            case MISSING -> e.getMessage() + "; a new job with the same input produces it again";
            case CORRUPT -> e.getMessage() + "; nothing was copied; a new job with the same input produces it again";
            case IO -> e.getMessage();
        };
    }
}
