package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;

/**
 * The one-command demo: a key manager with a fresh CA, an embedded XMPP server with a certificate from
 * it, one job manager, a storage adapter with the filesystem backend, N agents each with its own XMPP
 * account, and M jobs of a {@link Workload}: generic jobs from the built-in queue, ATLAS evgen jobs from a
 * fake PanDA server, or ALICE jobs from fake AliEn services. Every component enrolls with a one-time token
 * and signs every message. Every job's outputs go through the storage adapter; the workload then checks
 * each job against what was stored. Meanwhile a small {@link Attacker} tries to get in where it does not
 * belong.
 */
final class Demo {
  static final String DOMAIN = "copilot.local";

  /** Which jobs the demo runs. */
  enum Kind {
    /** Generic jobs from the built-in queue. */
    GENERIC,
    /** ATLAS evgen jobs from a fake PanDA server. */
    EVGEN,
    /** ALICE production jobs from fake AliEn central services. */
    ALIEN
  }

  /** How the demo ended. */
  record Result(int passed, int failed, StorageAdapter.Stats storage, Attacker.Score security, String closingLine,
      List<String> secrets) {
    /** The security line: {@code security: R rejected attempts, 0 accepted}. */
    String securityLine() {
      return "security: " + security.rejected() + " rejected attempts, " + security.accepted().size() + " accepted";
    }
  }

  private final int agents;
  private final int jobs;
  private final Duration timeout;
  private final JobManagerConfig.Dispatch dispatch;
  private final Path workDir;
  private final PrintStream out;
  private final Kind kind;

  Demo(int agents, int jobs, Duration timeout, JobManagerConfig.Dispatch dispatch, Path workDir, PrintStream out) {
    this(agents, jobs, timeout, dispatch, workDir, out, Kind.GENERIC);
  }

  Demo(int agents, int jobs, Duration timeout, JobManagerConfig.Dispatch dispatch, Path workDir, PrintStream out,
      Kind kind) {
    this.kind = kind;
    this.agents = agents;
    this.jobs = jobs;
    this.timeout = timeout;
    this.dispatch = dispatch;
    this.workDir = workDir;
    this.out = out;
  }

  Result run() throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    try (Services services = new Services("demo", 8)) {
      Workload workload = switch (kind) {
        case EVGEN -> EvgenWorkload.chain(workDir, jobs, 1000, services.scheduler.clock(), 5);
        case ALIEN -> new AlienWorkload(workDir, jobs, services.scheduler.clock());
        case GENERIC -> new GenericWorkload(workDir, jobs, services.scheduler.clock());
      };
      stack.add(workload);
      out.printf("demo: %d agents, %s, embedded XMPP server, %s dispatch, work dir %s%n", agents, workload.describe(),
          dispatch.name().toLowerCase(java.util.Locale.ROOT), workDir);
      Pki pki = Pki.create(workDir.resolve("ca"), services);
      EmbeddedXmppServer server = EmbeddedXmppServer.start(DOMAIN,
          pki.ca.issueServer(List.of(DOMAIN, "localhost", "127.0.0.1"), Duration.ofDays(2)), pki.ca.certificate(),
          workDir);
      stack.add(server);
      pki.serve(server, stack);

      Settings settings = Settings.of(Map.of("job-manager.lease", "30s", "job-manager.dispatch", dispatch.name()));
      JobManagerConfig jmConfig = JobManagerConfig.from(settings, DOMAIN);
      XmppBus jmBus = pki.join(server, "jobmanager", "jm-1", Role.JOB_MANAGER, stack);
      JobManager jobManager = new JobManager(jmConfig, jmBus, workload.source(), services.scheduler);
      jobManager.start();
      stack.add(jobManager);

      XmppBus saBus = pki.join(server, "storage", "sa-1", Role.STORAGE, stack);
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
        // Vysper 0.7 mishandles logins that overlap; joining one at a time avoids a round of reconnects.
        XmppBus bus = pki.join(server, user, "vm", Role.AGENT, stack);
        Settings agentSettings = Settings.of(Map.of(
            "agent.cores", "1",
            "agent.work-dir", workDir.resolve("agents").toString(),
            "agent.idle-backoff-max", "2s"));
        Agent agent = new Agent(AgentConfig.from(agentSettings, user, DOMAIN), bus, services.scheduler, services.workers);
        agent.start();
        stack.add(agent);
      }

      Attacker attacker = new Attacker(pki, server, storage.uploadUrl(), jmConfig.service(), saConfig.service());
      stack.add(attacker);
      java.util.concurrent.CompletableFuture<Attacker.Score> attack =
          java.util.concurrent.CompletableFuture.supplyAsync(attacker::attack, services.workers);

      Instant deadline = Instant.now().plus(timeout);
      String last = "";
      while (true) {
        Workload.Progress progress = workload.progress();
        if (!progress.line().equals(last)) {
          out.println(progress.line());
          last = progress.line();
        }
        if (progress.allEnded() && attack.isDone()) {
          break;
        }
        if (Instant.now().isAfter(deadline)) {
          out.println("demo: timed out after " + timeout + " with " + progress.unfinished() + " jobs unfinished");
          break;
        }
        Thread.sleep(500);
      }
      int passed = workload.verify(out);
      Attacker.Score score = attack.getNow(new Attacker.Score(0, List.of("the attacker did not finish")));
      score.accepted().forEach(a -> out.println("security: ACCEPTED " + a));
      int failed = workload.jobCount() - passed;
      return new Result(passed, failed, storage.stats(), score, workload.closingLine(passed, failed), pki.secrets());
    } finally {
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }
}
