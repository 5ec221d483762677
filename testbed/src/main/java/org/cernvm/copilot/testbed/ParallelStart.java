package org.cernvm.copilot.testbed;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts many simulated components at once, in the order of their numbers, and fails on the first that
 * cannot start. Each start is mostly waiting (TLS, SASL and enrollment round trips), so that one thread at
 * a time leaves the cores idle: 10,000 agents took 38 minutes that way.
 */
final class ParallelStart {
  /** What starts component {@code i}, numbered from 1. */
  @FunctionalInterface
  interface Starter<T> {
    T start(int i) throws Exception;
  }

  private ParallelStart() {}

  /**
   * Starts {@code count} components on {@code threads} threads; prints a progress line every {@code every}
   * started, as "{@code what}: N/COUNT {@code done}".
   *
   * @return the components, in the order of their numbers
   * @throws Exception the first start's failure; the starts not yet begun are not begun
   */
  static <T> List<T> start(int count, int threads, Starter<T> starter, PrintStream out, String what, String done,
      int every) throws Exception {
    AtomicInteger started = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, count)), r -> {
      Thread t = new Thread(r, what + "-start");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<T>> futures = new ArrayList<>(count);
      for (int i = 1; i <= count; i++) {
        int n = i;
        futures.add(pool.submit(() -> {
          T component = starter.start(n);
          int s = started.incrementAndGet();
          if (s % every == 0 || s == count) {
            out.printf("%s: %d/%d %s%n", what, s, count, done);
          }
          return component;
        }));
      }
      List<T> all = new ArrayList<>(count);
      for (Future<T> f : futures) {
        try {
          all.add(f.get());
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
      }
      return all;
    } finally {
      pool.shutdownNow();
    }
  }
}
