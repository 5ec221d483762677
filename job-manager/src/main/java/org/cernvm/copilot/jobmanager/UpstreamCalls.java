package org.cernvm.copilot.jobmanager;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads on which a job manager calls its source's upstream: a fixed number run at once, up to
 * {@value #QUEUE_PER_THREAD} times as many wait, and a call beyond that fails at once with
 * {@link UpstreamUnavailableException} instead of waiting without bound. The bus threads hand work here and
 * go on; the answer to an agent is sent when its call completes. A retry inside a call (the PanDA and AliEn
 * clients pause between attempts) holds one of these threads, never a bus thread.
 */
final class UpstreamCalls implements AutoCloseable {
  /** How many calls may wait per thread. */
  static final int QUEUE_PER_THREAD = 64;

  /** One call; it may fail with a {@link JobSourceException}. */
  @FunctionalInterface
  interface Call<T> {
    T run() throws JobSourceException;
  }

  private final ThreadPoolExecutor pool;

  UpstreamCalls(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(threads * QUEUE_PER_THREAD), r -> {
          Thread t = new Thread(r, name + "-upstream-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
  }

  /**
   * Runs {@code call} on an upstream thread.
   *
   * @param what the call, for the error when too many wait, e.g. {@code heartbeat of J}
   * @return its result; failed with the call's exception, or with {@link UpstreamUnavailableException} when
   *     too many calls wait or the job manager is stopping
   */
  <T> CompletableFuture<T> submit(String what, Call<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      pool.execute(() -> {
        try {
          result.complete(call.run());
        } catch (Exception | Error e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new UpstreamUnavailableException(what + " not started: "
          + (pool.isShutdown() ? "the job manager is stopping" : pool.getQueue().size() + " upstream calls wait already"),
          null));
    }
    return result;
  }

  /** Lets the calls under way and waiting end, for at most 30 s, and refuses new ones. */
  @Override
  public void close() {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
