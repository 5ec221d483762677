package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.cernvm.copilot.testbed.xmpp.EmbeddedXmppServer;

/**
 * The one-command demo: an embedded XMPP server, one job manager, a storage adapter with the filesystem
 * backend, N agents each with its own XMPP account, and M generic jobs. Each job is a real process that
 * sums the integers 1..n with {@code seq} and {@code awk} into {@code sum.txt}, which the agent uploads to
 * the storage adapter; a job passes when it ended DONE and its registered output, re-read from the
 * storage backend, holds the right sum and matches the size, adler32 and md5 the agent reported.
 */
final class Demo {
  private static final String DOMAIN = "copilot.local";
  private static final String SUM_SCRIPT = "seq 1 \"$1\" | awk '{ s += $1 } END { print s }' > sum.txt";

  /** How the demo ended. */
  record Result(int passed, int failed, StorageAdapter.Stats storage) {}

  private final int agents;
  private final int jobs;
  private final Duration timeout;
  private final JobManagerConfig.Dispatch dispatch;
  private final Path workDir;
  private final PrintStream out;

  Demo(int agents, int jobs, Duration timeout, JobManagerConfig.Dispatch dispatch, Path workDir, PrintStream out) {
    this.agents = agents;
    this.jobs = jobs;
    this.timeout = timeout;
    this.dispatch = dispatch;
    this.workDir = workDir;
    this.out = out;
  }

  Result run() throws Exception {
    out.printf("demo: %d agents, %d jobs, embedded XMPP server, %s dispatch, work dir %s%n", agents, jobs,
        dispatch.name().toLowerCase(java.util.Locale.ROOT), workDir);
    List<AutoCloseable> stack = new ArrayList<>();
    try (Services services = new Services("demo", 8)) {
      EmbeddedXmppServer server = EmbeddedXmppServer.start(DOMAIN, workDir);
      stack.add(server);
      GenericQueue queue = JobSource.generic(workDir.resolve("queue"), services.scheduler.clock(), 3);
      Map<String, Long> expected = new LinkedHashMap<>();
      for (int i = 1; i <= jobs; i++) {
        long n = 1000L * i;
        String id = queue.submit(NewJob.of("sh", "-c", SUM_SCRIPT, "sum", Long.toString(n)).withOutputs("sum.txt")
            .withTtl(Duration.ofMinutes(5)));
        expected.put(id, n * (n + 1) / 2);
      }

      Settings settings = Settings.of(Map.of("job-manager.lease", "30s", "job-manager.dispatch", dispatch.name()));
      JobManagerConfig jmConfig = JobManagerConfig.from(settings, DOMAIN);
      String jmPassword = password();
      server.addUser("jobmanager", jmPassword);
      XmppBus jmBus = Bus.xmpp(server.clientSettings("jobmanager", jmPassword, "jm-1"), services.scheduler, services.workers);
      stack.add(jmBus);
      jmBus.awaitConnected(Duration.ofSeconds(30));
      JobManager jobManager = new JobManager(jmConfig, jmBus, queue, services.scheduler);
      jobManager.start();
      stack.add(jobManager);

      String saPassword = password();
      server.addUser("storage", saPassword);
      XmppBus saBus = Bus.xmpp(server.clientSettings("storage", saPassword, "sa-1"), services.scheduler, services.workers);
      stack.add(saBus);
      saBus.awaitConnected(Duration.ofSeconds(30));
      StorageConfig saConfig = StorageConfig.from(Settings.of(Map.of(
          "storage.port", "0",
          "storage.root", workDir.resolve("storage").toString(),
          "storage.grant-key-file", workDir.resolve("storage-grant.key").toString())), DOMAIN);
      StorageBackend backend = StorageBackend.from(saConfig);
      stack.add(backend);
      StorageAdapter storage = StorageAdapter.start(saConfig, saBus, backend, services.scheduler.clock());
      stack.add(storage);

      for (int a = 1; a <= agents; a++) {
        String user = "agent-" + a;
        String pw = password();
        server.addUser(user, pw);
        XmppBus bus = Bus.xmpp(server.clientSettings(user, pw, "vm"), services.scheduler, services.workers);
        stack.add(bus);
        // Vysper 0.7 mishandles logins that overlap; one at a time avoids a round of reconnects.
        bus.awaitConnected(Duration.ofSeconds(30));
        Settings agentSettings = Settings.of(Map.of(
            "agent.cores", "1",
            "agent.work-dir", workDir.resolve("agents").toString(),
            "agent.idle-backoff-max", "2s"));
        Agent agent = new Agent(AgentConfig.from(agentSettings, user, DOMAIN), bus, services.scheduler, services.workers);
        agent.start();
        stack.add(agent);
      }

      Instant deadline = Instant.now().plus(timeout);
      String last = "";
      while (true) {
        Map<JobStatus, Integer> counts = queue.counts();
        int ended = counts.get(JobStatus.DONE) + counts.get(JobStatus.FAILED) + counts.get(JobStatus.KILLED);
        String line = String.format("demo: %d/%d jobs ended (%d done, %d failed), %d running, %d queued", ended, jobs,
            counts.get(JobStatus.DONE), counts.get(JobStatus.FAILED) + counts.get(JobStatus.KILLED),
            counts.get(JobStatus.LEASED), counts.get(JobStatus.QUEUED));
        if (!line.equals(last)) {
          out.println(line);
          last = line;
        }
        if (ended == jobs) {
          break;
        }
        if (Instant.now().isAfter(deadline)) {
          out.println("demo: timed out after " + timeout + " with " + (jobs - ended) + " jobs unfinished");
          break;
        }
        Thread.sleep(500);
      }
      return verify(queue, expected, storage);
    } finally {
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }

  private Result verify(GenericQueue queue, Map<String, Long> expected, StorageAdapter storage) throws Exception {
    int passed = 0;
    for (QueuedJob job : queue.list()) {
      String problem = problem(job, expected.get(job.jobId()));
      if (problem == null) {
        passed++;
      } else {
        out.println("demo: " + job.jobId() + " FAILED: " + problem);
      }
    }
    return new Result(passed, jobs - passed, storage.stats());
  }

  private String problem(QueuedJob job, long expectedSum) throws IOException {
    if (job.status() != JobStatus.DONE) {
      return "ended " + job.status() + (job.diagnostic().isEmpty() ? "" : ": " + job.diagnostic());
    }
    StoredFile stored = job.stored().stream().filter(f -> f.file().name().equals("sum.txt")).findFirst().orElse(null);
    if (stored == null) {
      return "sum.txt was not registered";
    }
    Path file = Path.of(URI.create(stored.location()));
    if (!Files.isRegularFile(file)) {
      return "stored output " + file + " is missing";
    }
    String content = Files.readString(file, StandardCharsets.US_ASCII).trim();
    if (!content.equals(Long.toString(expectedSum))) {
      return "sum.txt holds " + content + ", expected " + expectedSum;
    }
    OutputFile actual = Checksums.of(file);
    if (!stored.file().equals(actual) || !job.outputs().contains(actual)) {
      return "the stored file " + actual + " does not match what was reported " + job.outputs() + " and registered "
          + stored.file();
    }
    return null;
  }

  private static String password() {
    return HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
  }
}
