package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import org.cernvm.copilot.testkit.xmpp.XmppAccounts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copilot load}: how dispatch scales with job managers. */
@Command(name = "load", description = "Simulated agents (real XMPP connections, trivial payloads) against 1, 2, 4… "
    + "job managers in separate processes; prints jobs/s, dispatch latency, CPU per job and the raw XMPP ceiling; "
    + "writes load.csv and load.png.")
final class LoadCommand implements Callable<Integer> {
  @Option(names = "--agents", defaultValue = "50", description = "simulated agents (default ${DEFAULT-VALUE})")
  int agents;

  @Option(names = "--job-managers", defaultValue = "1,2,4", split = ",",
      description = "job-manager counts, one round each (default ${DEFAULT-VALUE})")
  List<Integer> jobManagers = new ArrayList<>();

  @Option(names = "--jobs", defaultValue = "1000", description = "jobs per round (default ${DEFAULT-VALUE})")
  int jobs;

  @Option(names = "--upstream-latency", defaultValue = "20ms",
      description = "latency of each call to the simulated upstream server (default ${DEFAULT-VALUE})")
  Duration upstreamLatency;

  @Option(names = "--job-time", defaultValue = "0ms", description = "how long each simulated payload runs before "
      + "its jobDone; 0 keeps every agent asking (a closed loop at saturation; default ${DEFAULT-VALUE})")
  Duration jobTime;

  @Option(names = "--queue-url", paramLabel = "JDBC-URL", description = "a PostgreSQL database for the job "
      + "managers' queue (e.g. jdbc:postgresql://127.0.0.1:15432/copilot, as scripts/postgres-up starts it), a "
      + "schema per round; the password from COPILOT_JOB_MANAGER_QUEUE_PASSWORD, else copilot (default: a queue "
      + "directory per round)")
  String queueUrl;

  @Option(names = "--queue-user", defaultValue = "copilot", description = "the database user (default ${DEFAULT-VALUE})")
  String queueUser;

  @Option(names = "--xmpp", defaultValue = "embedded", description = "embedded or prosody (127.0.0.1:15222, "
      + "started by scripts/prosody-up; default ${DEFAULT-VALUE})")
  String xmpp;

  @Option(names = "--round-timeout", defaultValue = "10m", description = "give up a round after (default ${DEFAULT-VALUE})")
  Duration roundTimeout;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "where queues, logs, load.csv and load.png go")
  Path workDir;

  @Option(names = "--verbose", description = "show INFO logs of this process")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    if (agents < 1 || jobs < 1 || jobManagers.isEmpty() || jobManagers.stream().anyMatch(n -> n < 1)) {
      throw new ConfigException("--agents, --jobs and --job-managers must be positive");
    }
    if (jobTime.isNegative()) {
      throw new ConfigException("--job-time must not be negative, got " + jobTime);
    }
    if (!xmpp.equals("embedded") && !xmpp.equals("prosody")) {
      throw new ConfigException("--xmpp must be embedded or prosody, got '" + xmpp + "'");
    }
    if (!verbose) {
      DemoCommand.quiet();
    }
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("copilot-load-");
    LoadRun.Options options = new LoadRun.Options(agents, List.copyOf(jobManagers), jobs, upstreamLatency, roundTimeout,
        jobTime, queueUrl == null ? null : new JobQueue.Location(null, queueUrl, queueUser,
            System.getenv().getOrDefault("COPILOT_JOB_MANAGER_QUEUE_PASSWORD", "copilot"), 2));
    System.out.printf("load: %d agents, %d jobs per round, job managers %s, upstream latency %s, job time %s, %s XMPP "
        + "server, queue %s, work dir %s%n", agents, jobs, jobManagers, upstreamLatency.toMillis() + "ms",
        jobTime.toMillis() + "ms", xmpp, options.database() == null ? "directory" : options.database(), dir);
    try (Services services = new Services("load", 8)) {
      // The default revocation-list refresh: a thousand agents fetching it every second would be the load.
      Pki pki = Pki.create(dir.resolve("ca"), services,
          "l" + java.util.UUID.randomUUID().toString().substring(0, 6) + "-keymanager", Duration.ofMinutes(5));
      List<AutoCloseable> stack = new ArrayList<>();
      try {
        XmppAccounts server;
        if (xmpp.equals("embedded")) {
          EmbeddedXmppServer embedded = EmbeddedXmppServer.start(Demo.DOMAIN, pki.ca.issueServer(
              List.of(Demo.DOMAIN, "localhost", "127.0.0.1"), Duration.ofDays(2)), pki.ca.certificate(), dir);
          stack.add(embedded);
          server = embedded;
        } else {
          int port = Integer.parseInt(System.getenv().getOrDefault("COPILOT_PROSODY_PORT", "15222"));
          Path prosody = Path.of(System.getenv().getOrDefault("COPILOT_PROSODY_DIR",
              System.getenv().getOrDefault("TMPDIR", "/tmp") + "/copilot-prosody-" + port));
          server = XmppAccounts.registering("127.0.0.1", port, Demo.DOMAIN, prosody.resolve("ca/ca.pem"));
        }
        pki.serve(server, stack);
        LoadRun.Report report = new LoadRun(options, pki, server, dir, System.out).run();
        System.out.printf(Locale.ROOT, "load: %d job managers give %.2fx the jobs/s of %d; CSV %s, plot %s%n",
            report.rounds().get(report.rounds().size() - 1).jobManagers(), report.speedup(),
            report.rounds().get(0).jobManagers(), report.csv(), report.png());
        boolean clean = report.rounds().stream().allMatch(r -> r.finished() == r.jobs() && r.duplicates() == 0);
        return clean ? 0 : 1;
      } finally {
        for (int i = stack.size() - 1; i >= 0; i--) {
          stack.get(i).close();
        }
      }
    }
  }
}
