package org.cernvm.copilot.testbed.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.cernvm.copilot.keymanager.CertificateAuthority;
import org.cernvm.copilot.keymanager.EnrollmentTokens;
import org.cernvm.copilot.keymanager.KeyManager;
import org.cernvm.copilot.keymanager.KeyManagerService;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the integration tests against a real XMPP server share, whichever server it is: threads, a system
 * scheduler, a generic queue in a temp dir, the key manager of the CA that issued the server's certificate,
 * XMPP connections under accounts unique to the test, and closing all of it afterwards.
 */
abstract class OverXmpp {
  static final Duration WINDOW = Duration.ofMinutes(2);
  @TempDir Path dir;
  final XmppServer xmpp;
  final List<AutoCloseable> closeables = new ArrayList<>();
  ScheduledExecutorService timers;
  ExecutorService workers;
  Scheduler scheduler;
  GenericQueue queue;

  KeyManager keyManager;
  XmppBus keyManagerBus;
  private XmppBus jobManagerBus;

  /** A rig on {@code xmpp}. */
  OverXmpp(XmppServer xmpp) {
    this.xmpp = xmpp;
  }

  /** The bus of the job manager {@link #startJobManager} started. */
  XmppBus jobManagerBus() {
    return jobManagerBus;
  }

  @BeforeEach
  void startRig() throws Exception {
    timers = Executors.newScheduledThreadPool(1);
    workers = Executors.newCachedThreadPool();
    scheduler = Scheduler.system(timers);
    queue = GenericQueue.open(dir.resolve("queue"), scheduler.clock(), 3);
    // The key manager of the CA that issued the server's certificate; every component enrolls with it.
    CertificateAuthority ca = CertificateAuthority.open(xmpp.caDir(), xmpp.passphrase(), scheduler.clock());
    keyManager = new KeyManager(ca, new EnrollmentTokens(xmpp.caDir(), scheduler.clock()),
        scheduler.clock(), Duration.ofHours(1));
    keyManagerBus = Bus.xmpp(xmpp.settings("keymanager", "km-1"),
        keyManager.security(xmpp.user("keymanager"), WINDOW), scheduler, workers);
    closeables.add(keyManagerBus);
    keyManagerBus.awaitConnected(Duration.ofSeconds(20));
    closeables.add(KeyManagerService.start(keyManager, keyManagerBus, scheduler));
  }

  /** A one-time enrollment token for {@code role}. */
  String token(Role role) throws Exception {
    return keyManager.tokens().create(role, 1, Duration.ofMinutes(10)).get(0);
  }

  /** The security settings of a component enrolling with {@code token}. */
  SecuritySettings security(String token) {
    return new SecuritySettings(xmpp.caPem(), null, token, Address.of(address("keymanager")), WINDOW,
        Duration.ofSeconds(10), Duration.ofMinutes(5));
  }

  @AfterEach
  void stopRig() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    workers.shutdownNow();
    timers.shutdownNow();
  }

  /** The bare address of the test's account {@code name}. */
  String address(String name) {
    return xmpp.address(name);
  }

  /** A storage adapter logged in as {@code storage}, storing into {@code dir/se} for {@code jobmanager}. */
  StorageAdapter startStorage() throws Exception {
    StorageConfig sc = StorageConfig.from(Settings.of(Map.of("storage.service", address("storage"),
        "storage.job-managers", address("jobmanager"), "storage.port", "0", "storage.root", dir.resolve("se").toString(),
        "storage.grant-key-file", dir.resolve("grant.key").toString())), XmppServer.DOMAIN);
    StorageBackend backend = StorageBackend.from(sc);
    closeables.add(backend);
    StorageAdapter storage = StorageAdapter.start(sc, connect("storage", "sa-1"), backend, scheduler.clock());
    closeables.add(storage);
    return storage;
  }

  /** The key file of the test's job-manager group. */
  Path ticketKey() {
    return dir.resolve("ticket.key");
  }

  /** A job manager of the {@code jobmanager} service serving {@code source}, registering with {@code storage}. */
  JobManager startJobManager(JobSource source, String lease) throws Exception {
    jobManagerBus = connect("jobmanager", "jm-1");
    JobManager jm = new JobManager(jobManagerConfig(lease), jobManagerBus, source, scheduler);
    jm.start();
    closeables.add(jm);
    return jm;
  }

  /** The configuration of a job manager of the {@code jobmanager} service, registering with {@code storage}. */
  JobManagerConfig jobManagerConfig(String lease) {
    return JobManagerConfig.from(Settings.of(Map.of("job-manager.service", address("jobmanager"),
        "job-manager.storage", address("storage"), "job-manager.lease", lease,
        "job-manager.ticket-key-file", ticketKey().toString())), XmppServer.DOMAIN);
  }

  /** {@code n} one-core agents of the {@code jobmanager} and {@code storage} services. */
  List<Agent> startAgents(int n) throws Exception {
    List<Agent> agents = new ArrayList<>();
    for (int a = 1; a <= n; a++) {
      XmppBus bus = connect("agent-" + a, "vm");
      Agent agent = new Agent(AgentConfig.from(Settings.of(Map.of("agent.job-manager", address("jobmanager"),
          "agent.storage", address("storage"), "agent.cores", "1", "agent.work-dir", dir.resolve("work").toString(),
          "agent.idle-backoff-min", "100ms", "agent.idle-backoff-max", "500ms", "agent.kill-grace", "1s",
          "agent.upload-backoff-min", "200ms")),
          bus.self().local(), XmppServer.DOMAIN), bus, scheduler, workers);
      agent.start();
      closeables.add(agent);
      agents.add(agent);
    }
    return agents;
  }

  /**
   * A bus logged in as the test's account {@code name}, enrolled with a one-time token in the role its name
   * says ({@code jobmanager}, {@code storage}, {@code operator}, otherwise agent), closed after the test.
   */
  XmppBus connect(String name, String resource) throws Exception {
    Role role = switch (name) {
      case "jobmanager" -> Role.JOB_MANAGER;
      case "storage" -> Role.STORAGE;
      case "operator" -> Role.OPERATOR;
      default -> Role.AGENT;
    };
    EnrolledBus enrolled = EnrolledBus.connect(xmpp.settings(name, resource), security(token(role)), scheduler,
        workers, Duration.ofSeconds(20));
    closeables.add(enrolled);
    return enrolled.bus();
  }
}
