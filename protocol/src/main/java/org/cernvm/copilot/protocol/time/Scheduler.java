package org.cernvm.copilot.protocol.time;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source of time and of delayed work. Production code uses {@link #system}; tests use a manual
 * scheduler that runs due tasks when its clock is advanced, so that no test sleeps.
 */
public interface Scheduler {
  /** The clock this scheduler's delays are measured against. */
  Clock clock();

  /** Runs {@code task} once after {@code delay}. */
  Cancellable schedule(Duration delay, Runnable task);

  /** Runs {@code task} every {@code period}, first after one period, until cancelled. */
  Cancellable every(Duration period, Runnable task);

  /** A handle to cancel scheduled work. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the work if it has not run yet; does nothing otherwise. */
    void cancel();
  }

  /** A scheduler on the system UTC clock backed by {@code executor}; a task that throws is logged and kept. */
  static Scheduler system(ScheduledExecutorService executor) {
    Logger log = LoggerFactory.getLogger(Scheduler.class);
    Clock clock = Clock.systemUTC();
    return new Scheduler() {
      @Override
      public Clock clock() {
        return clock;
      }

      @Override
      public Cancellable schedule(Duration delay, Runnable task) {
        var future = executor.schedule(guarded(task), delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
      }

      @Override
      public Cancellable every(Duration period, Runnable task) {
        long nanos = period.toNanos();
        var future = executor.scheduleWithFixedDelay(guarded(task), nanos, nanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
      }

      private Runnable guarded(Runnable task) {
        return () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            log.error("scheduled task failed", e);
          }
        };
      }
    };
  }
}
