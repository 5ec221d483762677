package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import org.cernvm.copilot.testkit.xmpp.XmppAccounts;

/**
 * A VM booting an agent, on one machine: the embedded XMPP server, a key manager, a job manager on a
 * generic queue and a storage adapter run in this process, and the agent-only artifact runs as its own process through its
 * launcher, configured only by a user-data file in CernVM's INI form, as contextualization would give it.
 */
final class AgentVm {
  private final Path dir;
  private final Pki pki;
  private final EmbeddedXmppServer server;
  private final GenericQueue queue;
  private final CompletableFuture<Long> firstWant = new CompletableFuture<>();

  private AgentVm(Path dir, Pki pki, EmbeddedXmppServer server, GenericQueue queue) {
    this.dir = dir;
    this.pki = pki;
    this.server = server;
    this.queue = queue;
  }

  /** Starts the services in {@code dir}; what it opens is pushed on {@code stack}. */
  static AgentVm start(Path dir, Services services, List<AutoCloseable> stack) throws Exception {
    Pki pki = Pki.create(dir.resolve("ca"), services);
    EmbeddedXmppServer server = EmbeddedXmppServer.start(Demo.DOMAIN, pki.ca.issueServer(
        List.of(Demo.DOMAIN, "127.0.0.1"), Duration.ofDays(1)), pki.ca.certificate(), dir);
    stack.add(server);
    pki.serve(server, stack);
    AgentVm vm = new AgentVm(dir, pki, server, GenericQueue.open(dir.resolve("queue"), services.scheduler.clock(), 3));
    XmppBus jmBus = pki.join(server, "jobmanager", "jm-1", Role.JOB_MANAGER, stack);
    jmBus.subscribe(in -> {
      if (in.message() instanceof WantGetJob) {
        vm.firstWant.complete(System.nanoTime());
      }
    });
    JobManager jm = new JobManager(JobManagerConfig.from(Settings.of(Map.of(
        "job-manager.lease", "10s", "job-manager.ticket-key-file", dir.resolve("ticket.key").toString())),
        Demo.DOMAIN), jmBus, vm.queue, services.scheduler);
    stack.add(jm);
    jm.start();
    // Where the agent stores what its jobs leave: their outputs and every job's log tarball.
    startStorage(dir, pki, server, services, stack);
    return vm;
  }

  /**
   * A storage adapter logged in as {@code storage} on {@code server}, storing under {@code dir/storage};
   * what it opens is pushed on {@code stack}.
   */
  static void startStorage(Path dir, Pki pki, XmppAccounts server, Services services, List<AutoCloseable> stack)
      throws Exception {
    XmppBus saBus = pki.join(server, "storage", "sa-1", Role.STORAGE, stack);
    StorageConfig saConfig = StorageConfig.from(Settings.of(Map.of("storage.port", "0",
        "storage.root", dir.resolve("storage").toString(),
        "storage.grant-key-file", dir.resolve("storage-grant.key").toString())), Demo.DOMAIN);
    StorageBackend backend = StorageBackend.from(saConfig);
    stack.add(backend);
    stack.add(StorageAdapter.start(saConfig, saBus, backend, services.scheduler.clock()));
  }

  /** The job manager's queue. */
  GenericQueue queue() {
    return queue;
  }

  /** Completes with {@link System#nanoTime} when the first {@code want_getJob} reached the job manager. */
  CompletableFuture<Long> firstWant() {
    return firstWant;
  }

  /** The port of the XMPP server, on 127.0.0.1. */
  int xmppPort() {
    return server.port();
  }

  /** Where the agent's output goes. */
  Path log() {
    return dir.resolve("agent.log");
  }

  /**
   * The user-data of a VM whose agent logs in as {@code vm-agent} (the account is made here, with a new
   * password and enrollment token), in CernVM's INI form, with {@code extra} settings added.
   */
  String userData(Map<String, String> extra) throws IOException {
    String password = Pki.password();
    XmppSettings x = server.account("vm-agent", password, "vm");
    List<String> lines = new ArrayList<>(List.of("[copilot]",
        "xmpp.host=" + x.host(), "xmpp.port=" + x.port(), "xmpp.domain=" + x.domain(), "xmpp.user=vm-agent",
        "xmpp.password=" + password, "xmpp.resource=vm", "xmpp.register=" + x.register(),
        "security.ca=" + dir.resolve("ca").resolve("ca.pem"), "security.key-manager=" + pki.address(Demo.DOMAIN),
        "security.token=" + pki.token(Role.AGENT), "security.dir=" + dir.resolve("agent-keys"),
        "agent.cores=1", "agent.work-dir=" + dir.resolve("work")));
    if (x.trustCertificate() != null) {
      lines.add("xmpp.trust=" + x.trustCertificate());
    }
    if (!x.tlsProtocols().isEmpty()) {
      lines.add("xmpp.tls-protocols=" + String.join(",", x.tlsProtocols()));
    }
    extra.forEach((k, v) -> lines.add(k + "=" + v));
    return String.join("\n", lines) + "\n";
  }

  /**
   * Boots the agent-only artifact as the VM's systemd unit would: its launcher script, with
   * {@link #userData} in a file, its JVM started as {@code jvm} says.
   */
  Process boot(AgentJvm jvm, Map<String, String> extra) throws Exception {
    Path file = Files.writeString(dir.resolve("user-data.txt"), userData(extra));
    return boot(jvm, "context.user-data-file=" + file);
  }

  /**
   * Boots the agent-only artifact as a cloud VM's systemd unit would, told only {@code metadata}, the base
   * URL of the instance metadata service that serves its user-data.
   */
  Process bootFromMetadata(AgentJvm jvm, URI metadata) throws Exception {
    return boot(jvm, "context.metadata-url=" + metadata);
  }

  private Process boot(AgentJvm jvm, String context) throws Exception {
    ProcessBuilder pb = agentProcess(List.of("--set", context));
    jvm.applyTo(pb.environment());
    return pb.start();
  }

  /** The agent-only artifact's launcher with {@code args}, its output going to {@link #log}; not started. */
  ProcessBuilder agentProcess(List<String> args) throws Exception {
    Path jar = repo().resolve("agent-dist/target/copilot-agent.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no agent-only artifact at " + jar + ": build it with mvn package");
    }
    List<String> cmd = new ArrayList<>(List.of(launcher().toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log().toFile());
    pb.environment().put("COPILOT_AGENT_JAR", jar.toString());
    pb.environment().put("COPILOT_LOG_LEVEL", "INFO");
    return pb;
  }

  /** The agent-only artifact's launcher script, in the source tree. */
  static Path launcher() throws URISyntaxException {
    return repo().resolve("agent-dist/src/dist/copilot-agent");
  }

  private static Path repo() throws URISyntaxException {
    return LoadRun.jar().toAbsolutePath().getParent().getParent().getParent();
  }

  /** A bus of a new component {@code user} in {@code role}, enrolled; pushed on {@code stack}. */
  XmppBus join(String user, Role role, List<AutoCloseable> stack) throws Exception {
    return pki.join(server, user, "vm", role, stack);
  }
}
