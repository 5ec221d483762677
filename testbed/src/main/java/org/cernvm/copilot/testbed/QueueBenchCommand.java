package org.cernvm.copilot.testbed;

import java.util.Comparator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.protocol.Resources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code copilot queue-bench}: claims per second from the generic queue alone, in PostgreSQL and in a
 * directory, measured one after the other in one run.
 */
@Command(name = "queue-bench", description = "Fills the generic queue with jobs and claims them all with several "
    + "claimers at once, in PostgreSQL (in a schema of its own, dropped after) and in a directory; prints claims per "
    + "second and the machine's CPU per claim for each, and their ratio.")
final class QueueBenchCommand implements Callable<Integer> {
  private static final Resources SLOT = new Resources(1, 2048, 10_000, Duration.ofHours(24), "x86_64-linux", List.of());

  @Option(names = "--url", defaultValue = "jdbc:postgresql://127.0.0.1:15432/copilot", description = "the "
      + "PostgreSQL database (default ${DEFAULT-VALUE}, as scripts/postgres-up starts it)")
  String url;

  @Option(names = "--user", defaultValue = "copilot", description = "its user (default ${DEFAULT-VALUE}); the "
      + "password from COPILOT_JOB_MANAGER_QUEUE_PASSWORD, else copilot")
  String user;

  @Option(names = "--jobs", defaultValue = "20000", description = "jobs queued and claimed (default ${DEFAULT-VALUE})")
  int jobs;

  @Option(names = "--claimers", defaultValue = "8", description = "claimers at once, each with its own connection "
      + "(default ${DEFAULT-VALUE})")
  int claimers;

  @Option(names = "--batch", defaultValue = "16", description = "jobs per claim: 1 is an agent's getJob, more a "
      + "job manager's bulk claim (default ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--no-directory", description = "measure PostgreSQL only")
  boolean noDirectory;

  @Override
  public Integer call() throws Exception {
    DemoCommand.quiet();
    String password = System.getenv().getOrDefault("COPILOT_JOB_MANAGER_QUEUE_PASSWORD", "copilot");
    String schema = "copilot_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    System.out.printf(Locale.ROOT, "queue-bench: %d jobs, %d claimers, %d per claim, %d cores%n", jobs, claimers,
        batch, Runtime.getRuntime().availableProcessors());
    execute(password, "CREATE SCHEMA " + schema);
    Result sql;
    try (JobQueue q = JobQueue.open(new JobQueue.Location(null, url + "?currentSchema=" + schema, user, password,
        claimers + 1), Clock.systemUTC(), 3)) {
      sql = measure("postgresql", q);
    } finally {
      execute(password, "DROP SCHEMA " + schema + " CASCADE");
    }
    if (!noDirectory) {
      Path dir = Files.createTempDirectory("copilot-queue-bench-");
      try (JobQueue q = JobQueue.open(JobQueue.Location.directory(dir), Clock.systemUTC(), 3)) {
        Result files = measure("directory", q);
        System.out.printf(Locale.ROOT, "postgresql / directory: %.2f× the claims per second, %.2f× the CPU per "
            + "claim%n", sql.perSecond() / files.perSecond(), sql.cpuMsPerClaim() / files.cpuMsPerClaim());
      } finally {
        try (var files = Files.walk(dir)) {
          for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
    }
    return 0;
  }

  private void execute(String password, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Claims per second and the machine's busy CPU per claim. */
  private record Result(double perSecond, double cpuMsPerClaim) {}

  private Result measure(String store, JobQueue queue) throws Exception {
    LoadRun.submitTrivialJobs(queue, jobs);
    System.out.printf(Locale.ROOT, "%s: %d jobs queued; claiming%n", store, jobs);
    AtomicInteger claimed = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    long cpu0 = LoadRun.machineCpuMillis();
    long t0 = System.nanoTime();
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < claimers; t++) {
        String holder = "bench-" + t;
        running.add(pool.submit(() -> {
          while (true) {
            List<Claim> got = batch == 1
                ? queue.claim(holder, SLOT, Duration.ofHours(1)).map(List::of).orElse(List.of())
                : queue.claim(holder, SLOT, Duration.ofHours(1), batch);
            if (got.isEmpty()) {
              return null;
            }
            claimed.addAndGet(got.size());
          }
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long cpu = LoadRun.machineCpuMillis() - cpu0;
    if (claimed.get() != jobs) {
      throw new IllegalStateException(store + ": claimed " + claimed.get() + " of " + jobs + " jobs");
    }
    Result r = new Result(jobs / seconds, (double) cpu / jobs);
    System.out.printf(Locale.ROOT, "%s: %d claims in %.2f s = %.0f claims/s, %.3f ms of machine CPU per claim%n",
        store, jobs, seconds, r.perSecond(), r.cpuMsPerClaim());
    return r;
  }
}
