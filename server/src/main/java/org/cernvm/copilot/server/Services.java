package org.cernvm.copilot.server;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The threads one process's components run on: a timer thread and a worker pool, shut down together. */
public final class Services implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Services.class);

  public final ScheduledExecutorService timers;
  public final ExecutorService workers;
  public final Scheduler scheduler;

  public Services(String name, int workerThreads) {
    timers = Executors.newSingleThreadScheduledExecutor(threads(name + "-timer"));
    workers = Executors.newFixedThreadPool(workerThreads, threads(name + "-worker"));
    scheduler = Scheduler.system(timers);
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      t.setUncaughtExceptionHandler((th, e) -> log.error("uncaught exception in {}", th.getName(), e));
      return t;
    };
  }

  @Override
  public void close() {
    for (ExecutorService e : new ExecutorService[] {timers, workers}) {
      e.shutdown();
    }
    try {
      if (!workers.awaitTermination(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
        workers.shutdownNow();
      }
      timers.shutdownNow();
    } catch (InterruptedException e) {
      workers.shutdownNow();
      timers.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
