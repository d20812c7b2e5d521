package dev.stepwise.engine.micrometer;

import dev.stepwise.engine.api.AttemptTrace;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationView;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;

/**
 * The tracing handler for step observations ({@link StepObservationContext}): like Micrometer
 * Tracing's {@link DefaultTracingObservationHandler}, plus a span link to the step's previous
 * attempt when one was stored (a retry, or a run resumed after a crash or a restart), so a trace
 * of a resumed job leads back to the run before. Register it ahead of the default handler:
 *
 * <pre>{@code
 * observations.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
 *     new StepwiseTracingObservationHandler(tracer), new DefaultTracingObservationHandler(tracer)));
 * }</pre>
 *
 * Needs {@code io.micrometer:micrometer-tracing} (an optional dependency of this module).
 */
public class StepwiseTracingObservationHandler extends DefaultTracingObservationHandler {

    /** @param tracer the Micrometer Tracing tracer (e.g. the OpenTelemetry bridge's) */
    public StepwiseTracingObservationHandler(Tracer tracer) {
        super(tracer);
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof StepObservationContext;
    }

    @Override
    public void onStart(Observation.Context context) {
        StepObservationContext step = (StepObservationContext) context;
        Span parent = jobSpan(context);
        Span.Builder builder = getTracer().spanBuilder();
        if (parent != null) {
            builder.setParent(parent.context());
        }
        step.previousTrace().ifPresent(previous -> builder.addLink(new Link(contextOf(previous))));
        Span span = builder.start();
        getTracingContext(context).setSpan(span);
    }

    /** The job observation's span: a step's parent even if the host made another span current on the thread. */
    private Span jobSpan(Observation.Context context) {
        ObservationView job = context.getParentObservation();
        TracingContext tracing = job == null ? null : job.getContextView().get(TracingContext.class);
        return tracing != null && tracing.getSpan() != null ? tracing.getSpan() : getParentSpan(context);
    }

    private TraceContext contextOf(AttemptTrace trace) {
        return getTracer().traceContextBuilder().traceId(trace.traceId()).spanId(trace.spanId()).sampled(true).build();
    }
}
