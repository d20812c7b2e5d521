package dev.stepwise.engine.core;

import dev.stepwise.engine.api.ClaimCandidate;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.core.internal.EngineServices;
import dev.stepwise.engine.core.internal.RunHandle;
import dev.stepwise.engine.core.internal.Runner;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Worker loops started by {@link JobEngine#startWorkers(WorkerOptions)}: each claims the next
 * runnable job from the store (highest priority, then earliest run-at, then oldest) under a
 * lease, runs it, and looks again; idle workers poll, and a job submitted in this process wakes
 * one at once (as does one submitted in another process, if the store signals it: see
 * {@link JobStore#subscribeToWork(Runnable)}). Workers in several processes on one store share the queue safely.
 *
 * <p>How a worker takes a job. Without recipe limits it <em>picks</em>: it reads a few claimable
 * jobs ({@link JobStore#findCandidates(Instant, int, Set)}, no write), skips those a sibling worker of
 * this engine is already running, takes the best of the rest and claims it with the run's first
 * write (the first step's {@code running} record) under a
 * {@link dev.stepwise.engine.api.WriteGuard.Claimable} guard: one transaction per job fewer than
 * a separate claim. If a worker of another process wrote the job first, the guard fails, nothing
 * was written, and the worker looks again at once (logged at DEBUG; not an error); after such a
 * lost race it picks at random among the first few free candidates of the best priority for its
 * next picks, so processes on one store spread over the queue instead of racing for its head. A
 * process that dies between the pick and the first commit wrote nothing: the job stays
 * {@code pending}. With
 * {@link WorkerOptions#recipeLimits() recipe limits} a worker claims with
 * {@link JobStore#claimNext} instead, because counting a recipe's running jobs and claiming must
 * be one transaction for the limit to hold across workers and processes.
 *
 * <p>{@link #close()} shuts down gracefully: no new claims, running steps get the grace period
 * to finish and be checkpointed, and unfinished jobs are handed back {@code pending} with
 * their lease released.
 */
public final class Workers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Workers.class);

    private final EngineServices services;
    private final WorkerOptions options;
    private final Runnable recover;
    /** How many free candidates of the best priority a worker chooses among after a lost race. */
    private static final int SPREAD = 4;
    /**
     * How many picks spread after a lost race. Competition for the queue's head is a property of
     * the deployment (several processes on one store), not of one moment: a worker that went
     * back to the head after each win would lose again about every other job.
     */
    private static final int SPREAD_PICKS_AFTER_LOST_RACE = 64;
    /** How many of its last lost jobs a worker skips when it picks. */
    private static final int LOST_REMEMBERED = 4;

    private final Set<RunHandle> running = ConcurrentHashMap.newKeySet();
    /** Jobs a worker of this engine picked and has not finished with, so its siblings skip them. */
    private final Set<String> picked = ConcurrentHashMap.newKeySet();
    private final CountDownLatch finished;
    private final Object signal = new Object();
    private final AtomicInteger jobsRun = new AtomicInteger();
    private final ExecutorService ownExecutor;
    private final JobStore.WorkSubscription fromOtherProcesses;
    private int signals;
    private volatile boolean stopping;

    Workers(EngineServices services, WorkerOptions options, Runnable recover) {
        this.services = services;
        this.options = options;
        this.recover = recover;
        this.finished = new CountDownLatch(options.count());
        AtomicInteger n = new AtomicInteger();
        this.ownExecutor = options.executor() != null ? null : Executors.newFixedThreadPool(options.count(), r -> {
            Thread t = new Thread(r, "stepwise-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.fromOtherProcesses = services.store().subscribeToWork(this::wake);
        ExecutorService ex = options.executor() != null ? options.executor() : ownExecutor;
        for (int i = 1; i <= options.count(); i++) {
            String owner = services.runnerId() + "#w" + i;
            ex.submit(() -> loop(owner));
        }
        LOG.info("started {} workers (poll {}, grace {}, recipe limits {})", options.count(), options.pollInterval(),
                options.shutdownGrace(), options.recipeLimits());
    }

    private void loop(String owner) {
        long nextRecover = 0;
        boolean picks = options.recipeLimits().isEmpty();
        int spreadPicks = 0; // picks left to spread; a lost race shows processes compete for the head
        // The jobs of this worker's last lost races: the winner may not have committed yet, so a
        // lost job can still read as pending, and picking it again would lose again at once.
        Deque<String> lost = new ArrayDeque<>(LOST_REMEMBERED);
        try {
            while (!stopping) {
                try {
                    if (System.nanoTime() - nextRecover >= 0) {
                        recover.run();
                        nextRecover = System.nanoTime() + services.leaseTtl().toNanos() / 2;
                    }
                    Instant now = services.nowMillis();
                    if (picks) {
                        Optional<ClaimCandidate> candidate = pick(now, spreadPicks > 0, lost);
                        if (candidate.isEmpty()) {
                            waitForWork();
                        } else if (runPicked(candidate.get(), owner)) {
                            spreadPicks = Math.max(0, spreadPicks - 1);
                        } else {
                            spreadPicks = SPREAD_PICKS_AFTER_LOST_RACE;
                            if (lost.size() == LOST_REMEMBERED) {
                                lost.removeFirst();
                            }
                            lost.addLast(candidate.get().job().id());
                        }
                        continue;
                    }
                    Optional<Job> claimed = services.store().claimNext(owner, now, now.plus(services.leaseTtl()),
                            options.recipeLimits());
                    if (claimed.isPresent()) {
                        runOne(Runner.forWorker(services, claimed.get()), claimed.get());
                    } else {
                        waitForWork();
                    }
                } catch (Throwable t) {
                    if (stopping && Thread.currentThread().isInterrupted()) {
                        break;
                    }
                    LOG.error("worker {}: {}", owner, t.toString(), t);
                    pause();
                }
            }
        } finally {
            finished.countDown();
        }
    }

    /**
     * Reads the claimable jobs and chooses one that no sibling worker of this engine holds and
     * this worker did not just lose: the first, or (after a lost race, {@code spread}) one at
     * random among the first {@link #SPREAD} free ones of the best priority.
     */
    private Optional<ClaimCandidate> pick(Instant now, boolean spread, Collection<String> lost) {
        // The store leaves out the skipped jobs, so a pick reads only rows it can use (each is a
        // whole job, its manifest parsed): one, or the spread's few after a lost race.
        Set<String> skip = new HashSet<>(picked);
        skip.addAll(lost);
        List<ClaimCandidate> free = services.store().findCandidates(now, spread ? SPREAD : 1, skip);
        if (free.isEmpty()) {
            return Optional.empty();
        }
        if (!spread) {
            return Optional.of(free.get(0));
        }
        int best = free.get(0).job().priority();
        int n = 1;
        while (n < free.size() && n < SPREAD && free.get(n).job().priority() == best) {
            n++;
        }
        return Optional.of(free.get(ThreadLocalRandom.current().nextInt(n)));
    }

    /** @return false if another runner took the job first (nothing ran, nothing was written) */
    private boolean runPicked(ClaimCandidate chosen, String owner) {
        Job candidate = chosen.job();
        if (stopping) {
            return true; // closing: leave it pending, nothing was written
        }
        if (!picked.add(candidate.id())) {
            return false; // a sibling took it between the read and now
        }
        try {
            runOne(Runner.forWorkerPick(services, chosen, owner), candidate);
            return true;
        } catch (JobBusyException | IllegalTransitionException lost) {
            LOG.debug("worker {}: job {} was taken by another runner first: {}", owner, candidate.id(), lost.getMessage());
            return false;
        } finally {
            picked.remove(candidate.id());
        }
    }

    private void runOne(Runner runner, Job job) {
        running.add(runner.handle());
        try {
            if (stopping) {
                runner.handle().requestStop(System.nanoTime() + options.shutdownGrace().toNanos());
            }
            Job end = runner.run();
            jobsRun.incrementAndGet();
            LOG.debug("worker ran job {}: {}", job.id(), end.status());
        } catch (LeaseLostException fenced) {
            // Expected after an outage longer than the lease: the runner already logged one warning
            // and wrote nothing; the job's new owner carries on. Not an error, no stack trace.
            LOG.info("worker left job {} to its new owner: {}", job.id(), fenced.getMessage());
        } finally {
            running.remove(runner.handle());
        }
    }

    private void waitForWork() throws InterruptedException {
        synchronized (signal) {
            if (signals == 0 && !stopping) {
                signal.wait(Math.max(1, options.pollInterval().toMillis()));
            }
            if (signals > 0) {
                signals--;
            }
        }
    }

    private void pause() {
        try {
            Thread.sleep(options.pollInterval().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    /** Wakes one idle worker (a job was just submitted in this process, or the store signalled work). */
    void wake() {
        synchronized (signal) {
            signals = Math.min(signals + 1, options.count());
            signal.notify();
        }
    }

    /** @return how many jobs these workers ran to an end or handed back */
    public int jobsRun() {
        return jobsRun.get();
    }

    /** @return the settings */
    public WorkerOptions options() {
        return options;
    }

    /**
     * Stops claiming, lets running steps finish within the grace period (then abandons them),
     * checkpoints what finished and hands unfinished jobs back {@code pending}. Returns when
     * every worker loop has stopped.
     */
    @Override
    public void close() {
        if (stopping && finished.getCount() == 0) {
            return;
        }
        stopping = true;
        fromOtherProcesses.close();
        long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
        for (RunHandle h : new ArrayList<>(running)) {
            h.requestStop(deadline);
        }
        synchronized (signal) {
            signal.notifyAll();
        }
        try {
            if (!finished.await(options.shutdownGrace().toMillis() + services.leaseTtl().toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
                LOG.warn("workers did not stop within the grace period; their jobs are recovered when their leases expire");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
        LOG.info("workers stopped after running {} jobs", jobsRun.get());
    }
}
