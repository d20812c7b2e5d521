/**
 * The Stepwise test kit, for the tests of a host application (add {@code dev.stepwise:engine-test}
 * with test scope): {@link dev.stepwise.engine.test.TestEngine} (an in-memory engine in one line),
 * {@link dev.stepwise.engine.test.TestClock} (time that moves only when the test says),
 * {@link dev.stepwise.engine.test.FakeSteps} (steps that succeed, fail, hang or record), and
 * {@link dev.stepwise.engine.test.JobAssert} / {@link dev.stepwise.engine.test.ManifestAssert}
 * (assertions whose failures say what was expected and what the job really was).
 *
 * <p>The assertions throw {@link java.lang.AssertionError}, so the kit works with JUnit, TestNG or
 * any other framework; it depends on {@code engine-core} only.
 */
package dev.stepwise.engine.test;
