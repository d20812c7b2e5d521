/**
 * Job and step observations through Micrometer's Observation API (metrics and, behind a tracing
 * bridge, traces), counters for retries, lease losses, recoveries and poison pills, and queue
 * gauges per recipe. Install it with one call:
 * {@code JobEngine.builder(store).eventListener(StepwiseObservability.builder(observations, meters).build())}.
 * See {@code docs/observability.md} for the names and tags.
 */
package dev.stepwise.engine.micrometer;
