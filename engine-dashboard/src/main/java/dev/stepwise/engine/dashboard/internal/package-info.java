/** The dashboard's internals (HTTP adapter, access rules, JSON views, event streams): not API. */
package dev.stepwise.engine.dashboard.internal;
