package dev.stepwise.spring.boot;

import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code stepwise.observability.*} properties: job and step observations, counters and
 * queue gauges through Micrometer (module engine-micrometer), switched on by {@code enabled}.
 *
 * @param enabled      Whether to observe jobs and steps through Micrometer (needs engine-micrometer on the classpath).
 * @param gaugeRefresh How often, at most, the queue gauges read the store.
 */
@ConfigurationProperties("stepwise.observability")
public record StepwiseObservabilityProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("10s") Duration gaugeRefresh) {
    /** Checks the refresh interval. */
    public StepwiseObservabilityProperties {
        Objects.requireNonNull(gaugeRefresh, "stepwise.observability.gauge-refresh");
        if (gaugeRefresh.isNegative() || gaugeRefresh.isZero()) {
            throw new IllegalArgumentException("stepwise.observability.gauge-refresh must be > 0, was " + gaugeRefresh);
        }
    }
}
