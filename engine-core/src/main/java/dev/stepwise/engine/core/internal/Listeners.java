package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.core.EngineListener;
import dev.stepwise.engine.core.JobEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link EngineListener}s, called so that none can change what a job does: a throw
 * is logged (WARN the first time per listener, DEBUG after) and the engine goes on.
 */
public final class Listeners {
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private final List<EngineListener> all;
    private final Set<EngineListener> warned = ConcurrentHashMap.newKeySet();

    /** @param all the listeners, called in this order (copied) */
    public Listeners(List<EngineListener> all) {
        this.all = List.copyOf(all);
    }

    /** @return whether there are none (the runner then skips building events) */
    boolean isEmpty() {
        return all.isEmpty();
    }

    /** @param engine the engine, just built */
    public void engineBuilt(JobEngine engine) {
        all.forEach(l -> call(l, "engineBuilt", () -> l.engineBuilt(engine)));
    }

    /** @param job the orphaned job that recover() handed back */
    public void orphanRecovered(Job job) {
        all.forEach(l -> call(l, "orphanRecovered", () -> l.orphanRecovered(job)));
    }

    /**
     * @param run the run that starts
     * @return each listener's observer of it, in order (a listener that threw gets {@link EngineListener.RunObserver#NONE})
     */
    List<EngineListener.RunObserver> runStarted(EngineListener.RunStarted run) {
        List<EngineListener.RunObserver> out = new ArrayList<>(all.size());
        for (EngineListener l : all) {
            out.add(get(l, "runStarted", () -> l.runStarted(run), EngineListener.RunObserver.NONE));
        }
        return out;
    }

    /** @return the listener at this position (observers are kept in the listeners' order) */
    EngineListener at(int i) {
        return all.get(i);
    }

    /** Runs a call of (an observer of) this listener; a throw is logged and swallowed. */
    void call(EngineListener owner, String event, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException | LinkageError e) {
            threw(owner, event, e);
        }
    }

    /** Gets a value from (an observer of) this listener; a throw is logged and gives {@code fallback}. */
    <T> T get(EngineListener owner, String event, Supplier<T> call, T fallback) {
        try {
            T v = call.get();
            return v == null ? fallback : v;
        } catch (RuntimeException | LinkageError e) {
            threw(owner, event, e);
            return fallback;
        }
    }

    private void threw(EngineListener owner, String event, Throwable e) {
        if (warned.add(owner)) {
            LOG.warn("engine listener {} threw in {} (ignored: observation never changes a job; later failures of this "
                    + "listener are logged at DEBUG)", owner, event, e);
        } else {
            LOG.debug("engine listener {} threw in {} (ignored)", owner, event, e);
        }
    }
}
