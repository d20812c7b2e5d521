package dev.stepwise.engine.micrometer;

import dev.stepwise.engine.api.AttemptTrace;
import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.TracingObservationHandler;
import java.util.Optional;

/**
 * Reads the trace and span ids a Micrometer Tracing handler gave an observation. Used only when
 * micrometer-tracing is on the class path (it is an optional dependency: see
 * {@link StepwiseObservability}).
 */
final class TraceIds {
    private TraceIds() {
    }

    /**
     * @param context a started observation's context
     * @return its span's ids, if a tracing handler gave it a recording span
     */
    static Optional<AttemptTrace> of(Observation.Context context) {
        TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
        Span span = tracing == null ? null : tracing.getSpan();
        if (span == null || span.isNoop()) {
            return Optional.empty();
        }
        TraceContext ids = span.context();
        if (ids.traceId() == null || ids.traceId().isBlank() || ids.spanId() == null || ids.spanId().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new AttemptTrace(ids.traceId(), ids.spanId()));
    }
}
