package dev.stepwise.spring.boot.tests;

import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Step beans the test recipes ({@code test-recipes/*.json}) name. */
final class TestSteps {
    private TestSteps() {
    }

    /** The {@code shout} step: upper-cases input {@code text}. */
    static final class Shout implements Step {
        @Override
        public Object execute(StepContext context) {
            return Map.of("text", context.input().get("text").asString().toUpperCase(Locale.ROOT));
        }
    }

    /** The {@code gate} step: waits until {@link #open()} (or 10 minutes), counting its starts. */
    static final class Gate implements Step {
        final CountDownLatch opened = new CountDownLatch(1);
        final AtomicInteger started = new AtomicInteger();

        @Override
        public Object execute(StepContext context) throws InterruptedException {
            started.incrementAndGet();
            if (!opened.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("gate never opened");
            }
            return Map.of("passed", true);
        }

        void open() {
            opened.countDown();
        }
    }

    /** Registers {@link Shout} as the bean {@code shout}. */
    @Configuration(proxyBeanMethods = false)
    static class ShoutConfig {
        @Bean("shout")
        Shout shout() {
            return new Shout();
        }
    }

    /** Registers {@link Gate} as the bean {@code gate}. */
    @Configuration(proxyBeanMethods = false)
    static class GateConfig {
        @Bean("gate")
        Gate gate() {
            return new Gate();
        }
    }
}
