/**
 * The web dashboard: {@link dev.stepwise.engine.dashboard.Dashboard} serves one page (plain
 * HTML, CSS and JavaScript from the classpath) and the JSON API
 * {@link dev.stepwise.engine.dashboard.DashboardApi} with the JDK's HTTP server; the API's
 * request and answer types ({@link dev.stepwise.engine.dashboard.ApiRequest},
 * {@link dev.stepwise.engine.dashboard.ApiResponse}) let a host mount it on its own server.
 *
 * <p>Types in {@code dev.stepwise.engine.dashboard.internal} are not API.
 */
package dev.stepwise.engine.dashboard;
