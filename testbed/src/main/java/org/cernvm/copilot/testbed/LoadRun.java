package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.testkit.xmpp.XmppAccounts;

/**
 * A load run: simulated agents (each a real, enrolled XMPP connection) against 1, 2, 4… real job managers,
 * each its own process ({@code copilot job-manager}) serving one generic queue behind a simulated upstream.
 * For each job-manager count it runs a warm-up (a fifth of the jobs, at least 100, not measured: new JVMs
 * compile their hot code first), then measures jobs per second, dispatch latency and CPU per job over the
 * rest, and compares the message rate with the raw ceiling of the same XMPP server, measured in the same
 * run.
 */
final class LoadRun {
  /** A progress line every 30 s (polls of 20 ms) of a long round. */
  private static final int PROGRESS_POLLS = 1500;
  /** Agents connecting and enrolling at once: enough to keep two cores busy through the round trips. */
  private static final int CONNECTING_THREADS = 8;
  /**
   * What to run.
   *
   * @param agents simulated agents
   * @param jobManagers the job-manager counts, one round each
   * @param jobs jobs per round
   * @param upstreamLatency each upstream call's latency in the job managers
   * @param roundTimeout how long a round may take
   * @param jobTime how long each simulated payload runs; zero keeps every agent asking, a closed loop at
   *     saturation, where a request's wait is about the agents' count over the rate
   * @param database the PostgreSQL database whose queue the job managers share, each round in a schema of
   *     its own (dropped after it), or null for a queue directory per round
   */
  public record Options(int agents, List<Integer> jobManagers, int jobs, Duration upstreamLatency,
      Duration roundTimeout, Duration jobTime, JobQueue.Location database) {}

  /** One round's figures. */
  public record Round(int jobManagers, int jobs, int finished, int duplicates, int failures, double seconds,
      double jobsPerSecond, double p50Ms, double p99Ms, double jmCpuMsPerJob, double cpuMsPerJob,
      double messagesPerJob, double efficiency, double costRatio, double prefetchDepth, int prefetchDepthMax,
      double upstreamCallsPerJob) {}

  /** The whole run. */
  public record Report(List<Round> rounds, RawCeiling.Ceiling raw, double heapKibPerAgent,
      double residentKibPerAgent, Path csv, Path png) {
    /** Jobs per second of the round with the most job managers over that of the round with the fewest. */
    public double speedup() {
      Round first = rounds.get(0);
      Round last = rounds.get(rounds.size() - 1);
      return first.jobsPerSecond() == 0 ? 0 : last.jobsPerSecond() / first.jobsPerSecond();
    }
  }

  private final Options options;
  private final XmppAccounts server;
  private final Pki support;
  private final Services services;
  private final Path workDir;
  private final PrintStream out;
  private final String prefix = "l" + UUID.randomUUID().toString().substring(0, 6) + "-";

  /**
   * Prepares a run.
   *
   * @param support the key manager and threads of the testbed process
   * @param server where accounts are made
   */
  LoadRun(Options options, Pki support, XmppAccounts server, Path workDir, PrintStream out) {
    this.options = options;
    this.services = support.services;
    this.support = support;
    this.server = server;
    this.workDir = workDir;
    this.out = out;
  }

  /** Runs every round; closes what it opened. */
  public Report run() throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    try {
      RawCeiling.Ceiling raw = RawCeiling.measure(server, prefix, out);
      out.printf(Locale.ROOT, "load: raw XMPP ceiling %.0f msg/s one way between two plain clients (best of three "
          + "rounds), %.3f ms of machine CPU per message%n", raw.messagesPerSecond(), raw.cpuMsPerMessage());
      long[] before = memory();
      List<AutoCloseable> opened = java.util.Collections.synchronizedList(stack);
      long connecting = System.nanoTime();
      List<LoadAgent> agents = ParallelStart.start(options.agents(), CONNECTING_THREADS, i -> new LoadAgent(
          support.join(server, prefix + "agent-" + i, "vm", Role.AGENT, opened),
          Address.of(prefix + "jobmanager@" + server.domain()), services.scheduler, services.workers, null,
          options.jobTime()), out, "load", "agents connected and enrolled", 100);
      out.printf(Locale.ROOT, "load: %d agents connected and enrolled in %.1f s, %d at a time%n", options.agents(),
          (System.nanoTime() - connecting) / 1e9, Math.min(CONNECTING_THREADS, options.agents()));
      long[] after = memory();
      double heapPerAgent = (after[0] - before[0]) / 1024.0 / options.agents();
      double rssPerAgent = (after[1] - before[1]) / 1024.0 / options.agents();
      // The resident set can shrink meanwhile (the JVM returns the heap that the raw ceiling's garbage took),
      // which with few agents outweighs what they add.
      out.printf(Locale.ROOT, "load: memory per agent connection (Smack connection, certificate, keys, bus): "
          + "%.0f KiB heap, %s%n", heapPerAgent, rssPerAgent > 0 ? String.format(Locale.ROOT, "%.0f KiB resident",
              rssPerAgent) : "resident size not measurable (the process's resident set shrank meanwhile)");
      List<Round> rounds = new ArrayList<>();
      String jmPassword = Pki.password();
      for (int n : options.jobManagers()) {
        rounds.add(round(n, agents, jmPassword, raw));
      }
      Path csv = workDir.resolve("load.csv");
      Files.writeString(csv, csv(rounds, raw, options));
      Path png = workDir.resolve("load.png");
      Plot.throughput(rounds, png);
      return new Report(List.copyOf(rounds), raw, heapPerAgent, rssPerAgent, csv, png);
    } finally {
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }

  private Round round(int n, List<LoadAgent> template, String jmPassword, RawCeiling.Ceiling raw) throws Exception {
    Path dir = Files.createDirectories(workDir.resolve("round-" + n));
    JobQueue.Location where = JobQueue.Location.directory(dir.resolve("queue"));
    String schema = prefix.replace("-", "") + "round_" + n;
    if (options.database() != null) {
      sql(options.database(), "CREATE SCHEMA " + schema);
      JobQueue.Location db = options.database();
      where = new JobQueue.Location(null, db.url() + (db.url().contains("?") ? "&" : "?") + "currentSchema=" + schema,
          db.user(), db.password(), 2);
    }
    List<Process> processes = new ArrayList<>();
    try (JobQueue queue = JobQueue.open(where, services.scheduler.clock(), 3)) {
      return round(n, template, jmPassword, raw, dir, where, queue, processes);
    } finally {
      for (Process p : processes) {
        p.destroy();
      }
      for (Process p : processes) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      }
      if (options.database() != null) {
        sql(options.database(), "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  private Round round(int n, List<LoadAgent> template, String jmPassword, RawCeiling.Ceiling raw, Path dir,
      JobQueue.Location where, JobQueue queue, List<Process> processes) throws Exception {
    // Fresh job-manager processes compile their hot code first; the warm-up jobs keep that out of the figures.
    int warmUp = Math.max(100, options.jobs() / 5);
    int total = warmUp + options.jobs();
    submitTrivialJobs(queue, total);
    for (int i = 1; i <= n; i++) {
      processes.add(startJobManager(dir, i, jmPassword, where));
    }
    for (int i = 1; i <= n; i++) {
      awaitServing(dir.resolve("jm-" + i + ".log"));
    }
    LoadRecorder recorder = new LoadRecorder();
    List<LoadAgent> agents = template.stream().map(a -> a.withRecorder(recorder)).toList();
    agents.forEach(LoadAgent::start);
    long deadline = System.nanoTime() + options.roundTimeout().toNanos();
    // The agents' count, not the queue's: reading every job file many times a second would cost more CPU
    // than what is measured. The queue is checked once at the end.
    while (recorder.finishedJobs() < warmUp && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    int before = recorder.finishedJobs();
    recorder.measureFromNow();
    LoadStats stats0 = stats(dir, n);
    long depthSum = 0;
    int depthSamples = 0;
    int depthMax = 0;
    long jmCpu0 = cpuMillis(processes);
    long cpu0 = machineCpuMillis();
    long t0 = System.nanoTime();
    int polls = 0;
    int stalled = 0;
    int last = -1;
    while (recorder.finishedJobs() < total && System.nanoTime() < deadline) {
      Thread.sleep(20);
      ++polls;
      stalled = recorder.finishedJobs() == last ? stalled + 1 : 0;
      last = recorder.finishedJobs();
      // The queue too once the agents' count has not moved for a second: a job whose acknowledgement an
      // agent missed is still done. Not while it moves: reading every job file costs a CPU.
      if (stalled > 0 && stalled % 50 == 0 && queue.counts().getOrDefault(JobStatus.DONE, 0) >= total) {
        break;
      }
      if (polls % 50 == 0) {
        int depth = (int) stats(dir, n).depth();
        depthSum += depth;
        depthSamples++;
        depthMax = Math.max(depthMax, depth);
      }
      if (polls % PROGRESS_POLLS == 0) {
        int sofar = recorder.finishedJobs() - before;
        out.printf(Locale.ROOT, "load: %d job manager(s): %d/%d measured jobs done, %.1f jobs/s so far%n", n, sofar,
            options.jobs(), sofar / ((System.nanoTime() - t0) / 1e9));
      }
    }
    long t1 = System.nanoTime();
    long jmCpu = cpuMillis(processes) - jmCpu0;
    long cpu = machineCpuMillis() - cpu0;
    agents.forEach(LoadAgent::stop);
    // The job managers write their figures every second: wait for one more writing.
    Thread.sleep(1200);
    LoadStats stats = stats(dir, n).since(stats0);
    int measured = recorder.finishedJobs() - before;
    int done = queue.counts().getOrDefault(JobStatus.DONE, 0) - warmUp;
    double seconds = (t1 - t0) / 1e9;
    double rate = measured / seconds;
    double perJob = recorder.messagesPerJob(n, measured);
    double cpuPerJob = cpu / (double) Math.max(1, measured);
    Round r = new Round(n, options.jobs(), done, recorder.duplicates(), recorder.failures().size(), seconds, rate,
        recorder.latencyMs(0.5), recorder.latencyMs(0.99), jmCpu / (double) Math.max(1, measured), cpuPerJob,
        perJob, rate * perJob / raw.messagesPerSecond(),
        // What a CoPilot message costs the machine (its share of the job's work included) against a raw one.
        perJob == 0 || raw.cpuMsPerMessage() == 0 ? 0 : cpuPerJob / perJob / raw.cpuMsPerMessage(),
        depthSamples == 0 ? 0 : depthSum / (double) depthSamples, depthMax,
        stats.upstreamCalls() / (double) Math.max(1, measured));
    out.printf(Locale.ROOT, "load: %d job manager(s): %d/%d jobs in %.1f s = %.1f jobs/s, dispatch p50 %.1f ms p99 %.1f ms, "
            + "job-manager CPU %.1f ms/job, machine CPU %.1f ms/job, %.1f messages/job, efficiency %.2f, "
            + "a message costs %.1fx a raw one, prefetch depth %.0f (at most %d), %.2f upstream calls/job%n", n, done,
        options.jobs(), seconds, rate, r.p50Ms(), r.p99Ms(), r.jmCpuMsPerJob(), r.cpuMsPerJob(), perJob,
        r.efficiency(), r.costRatio(), r.prefetchDepth(), r.prefetchDepthMax(), r.upstreamCallsPerJob());
    out.printf(Locale.ROOT, "load: %d job manager(s): the getJob that got a job took p50 %.1f ms p99 %.1f ms; "
        + "%.2f NO_JOB answers per job; %.1f jobs per prefetch claim%n", n, recorder.roundTripMs(0.5),
        recorder.roundTripMs(0.99), recorder.emptyPerJob(measured),
        stats.claimCalls() == 0 ? 0 : stats.claimed() / (double) stats.claimCalls());
    recorder.failures().stream().limit(5).forEach(f -> out.println("load: failed: " + f));
    return r;
  }

  /** Queues {@code count} jobs that do nothing ({@code true}), a thousand per call. */
  static void submitTrivialJobs(JobQueue queue, int count) throws UpstreamUnavailableException {
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      batch.add(NewJob.of("true"));
      if (batch.size() == 1000 || i == count - 1) {
        queue.submitAll(batch);
        batch.clear();
      }
    }
  }

  private static void sql(JobQueue.Location db, String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  /** The summed figures the round's job managers last wrote. */
  private static LoadStats stats(Path dir, int jobManagers) throws IOException {
    LoadStats sum = LoadStats.NONE;
    for (int i = 1; i <= jobManagers; i++) {
      sum = sum.plus(LoadStats.read(dir.resolve("jm-" + i + ".stats")));
    }
    return sum;
  }

  private Process startJobManager(Path dir, int i, String password, JobQueue.Location where)
      throws IOException, URISyntaxException {
    XmppSettings x = server.account(prefix + "jobmanager", password, "jm-" + i);
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // A job manager keeps each agent's certificate, pairwise key and state: with 10,000 agents, 256 MiB ran out
        // within a minute.
        "-Xmx" + Math.max(256, options.agents() / 4) + "m", "-XX:+UseSerialGC"));
    // For profiling a run, e.g. COPILOT_LOAD_JM_JAVA_OPTS=-XX:StartFlightRecording=filename=jm.jfr
    String extra = System.getenv("COPILOT_LOAD_JM_JAVA_OPTS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.addAll(List.of("-jar", jar().toString(), "job-manager", "--stats-file", dir.resolve("jm-" + i + ".stats").toString()));
    if (where.url() == null) {
      cmd.addAll(List.of("--queue-dir", where.directory().toString()));
    } else {
      cmd.addAll(List.of("--set", "job-manager.queue-url=" + where.url(), "--set", "job-manager.queue-user=" + where.user()));
    }
    if (!options.upstreamLatency().isZero()) {
      cmd.addAll(List.of("--upstream-latency", options.upstreamLatency().toMillis() + "ms"));
    }
    for (String kv : List.of("xmpp.host=" + x.host(), "xmpp.port=" + x.port(), "xmpp.domain=" + x.domain(),
        "xmpp.user=" + x.username(), "xmpp.resource=" + x.resource(), "xmpp.register=" + x.register(),
        "xmpp.trust=" + x.trustCertificate(), "xmpp.tls-protocols=" + String.join(",", x.tlsProtocols()),
        "security.ca=" + support.dir.resolve("ca.pem"), "security.key-manager=" + support.address(server.domain()),
        "job-manager.lease=60s")) {
      if (!kv.endsWith("=")) {
        cmd.addAll(List.of("--set", kv));
      }
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("jm-" + i + ".log").toFile());
    pb.environment().put("COPILOT_XMPP_PASSWORD", password);
    pb.environment().put("COPILOT_SECURITY_TOKEN", support.token(Role.JOB_MANAGER));
    pb.environment().put("COPILOT_LOG_LEVEL", "WARN");
    if (where.password() != null) {
      pb.environment().put("COPILOT_JOB_MANAGER_QUEUE_PASSWORD", where.password());
    }
    return pb.start();
  }

  private static void awaitServing(Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains("serving")) {
        return;
      }
      Thread.sleep(100);
    }
    String text = Files.exists(log) ? Files.readString(log) : "";
    throw new IllegalStateException("a job manager did not start within 90 s; the end of " + log + ":\n"
        + text.substring(Math.max(0, text.length() - 2000)));
  }

  /**
   * The testbed's runnable jar, which job managers are started from: the one this class was loaded from, or,
   * when it was loaded from the build's classes or module jar, the {@code copilot.jar} beside them.
   */
  static Path jar() throws URISyntaxException {
    Path self = Path.of(LoadRun.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path beside = self.getParent().resolve("copilot.jar");
    if (Files.isRegularFile(beside)) {
      return beside;
    }
    if (Files.isRegularFile(self)) {
      return self;
    }
    throw new IllegalStateException("no copilot.jar beside " + self + ": build it with mvn package");
  }

  /** Heap in use after a collection, and this process's resident set, in bytes. */
  private static long[] memory() throws IOException, InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return new long[] {rt.totalMemory() - rt.freeMemory(), residentBytes(ProcessHandle.current().pid())};
  }

  /** The resident set of a process in bytes, from {@code /proc/PID/status}. */
  static long residentBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS in /proc/" + pid + "/status");
  }

  /** User plus system CPU of {@code processes} in milliseconds, from {@code /proc/PID/stat}. */
  static long cpuMillis(List<Process> processes) throws IOException {
    long ticks = 0;
    for (Process p : processes) {
      Path stat = Path.of("/proc", Long.toString(p.pid()), "stat");
      if (Files.exists(stat)) {
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
      }
    }
    return ticks * 10;
  }

  /** Busy CPU of the whole machine in milliseconds, from {@code /proc/stat}. */
  static long machineCpuMillis() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < f.length; i++) {
      if (i != 4 && i != 5) {
        busy += Long.parseLong(f[i]);
      }
    }
    return busy * 10;
  }

  private static String csv(List<Round> rounds, RawCeiling.Ceiling raw, Options options) {
    StringBuilder b = new StringBuilder("agents,upstream_latency_ms,job_time_ms,job_managers,jobs,finished,duplicates,failures,seconds,jobs_per_s,dispatch_p50_ms,"
        + "dispatch_p99_ms,jm_cpu_ms_per_job,machine_cpu_ms_per_job,messages_per_job,raw_msgs_per_s,efficiency,"
        + "raw_cpu_ms_per_msg,cost_ratio,prefetch_depth,prefetch_depth_max,upstream_calls_per_job\n");
    for (Round r : rounds) {
      b.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%d,%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.0f,%.3f,%.4f,%.2f,%.1f,%d,%.3f%n",
          options.agents(), options.upstreamLatency().toMillis(), options.jobTime().toMillis(),
          r.jobManagers(), r.jobs(), r.finished(), r.duplicates(), r.failures(), r.seconds(), r.jobsPerSecond(),
          r.p50Ms(), r.p99Ms(), r.jmCpuMsPerJob(), r.cpuMsPerJob(), r.messagesPerJob(), raw.messagesPerSecond(),
          r.efficiency(), raw.cpuMsPerMessage(), r.costRatio(), r.prefetchDepth(), r.prefetchDepthMax(),
          r.upstreamCallsPerJob()));
    }
    return b.toString();
  }
}
