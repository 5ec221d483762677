package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.IOException;
import java.net.ServerSocket;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.panda.PandaJobSource;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import org.cernvm.copilot.testkit.xmpp.XmppAccounts;

/**
 * The chaos run's components in the chaos JVM, on the embedded XMPP server: "killed" means closed without
 * any goodbye (no report, no release), and the XMPP server itself can be stopped and started again.
 */
final class InProcessRig implements ChaosRig {
  private final ChaosSettings settings;
  private final Services services;
  private final EvgenWorkload workload;
  private final List<AutoCloseable> stack = new ArrayList<>();
  private final Set<String> killedAgents = new HashSet<>();
  /** One password per account, kept across restarts. */
  private final Map<String, String> passwords = new HashMap<>();
  private final List<Component> agents = new ArrayList<>();
  private final Map<String, Component> jobManagers = new LinkedHashMap<>();
  private final int agentCount;
  private final int jobManagerCount;
  private Pki pki;
  private RestartableXmpp xmpp;
  private Component storage;
  private int storagePort;
  private int agentsBooted;

  InProcessRig(ChaosSettings settings, int agents, int jobManagers, Services services, EvgenWorkload workload) {
    this.settings = settings;
    this.agentCount = agents;
    this.jobManagerCount = jobManagers;
    this.services = services;
    this.workload = workload;
  }

  /** A running component and everything it opened, closed in reverse order to kill it. */
  private static final class Component implements AutoCloseable {
    final String name;
    final List<AutoCloseable> parts = new ArrayList<>();

    Component(String name) {
      this.name = name;
    }

    @Override
    public void close() {
      for (int i = parts.size() - 1; i >= 0; i--) {
        try {
          parts.get(i).close();
        } catch (Exception e) {
          // A killed component may fail to close cleanly; that is the point.
        }
      }
    }
  }

  /**
   * The embedded XMPP server, restartable on its port: a restart drops every session and, since the
   * embedded server keeps its accounts in memory, makes the accounts again, as a server with a database
   * would still have them.
   */
  private static final class RestartableXmpp implements XmppAccounts, AutoCloseable {
    private final Credentials tls;
    private final X509Certificate ca;
    private final java.nio.file.Path dir;
    private final Map<String, String> accounts = new HashMap<>();
    private EmbeddedXmppServer server;

    RestartableXmpp(Credentials tls, X509Certificate ca, java.nio.file.Path dir) throws IOException {
      this.tls = tls;
      this.ca = ca;
      this.dir = dir;
      this.server = EmbeddedXmppServer.start(Demo.DOMAIN, tls, ca, dir);
    }

    @Override
    public String domain() {
      return Demo.DOMAIN;
    }

    @Override
    public synchronized XmppSettings account(String user, String password, String resource) {
      accounts.put(user, password);
      return server.account(user, password, resource);
    }

    synchronized void restart(Duration down) throws IOException, InterruptedException {
      int port = server.port();
      server.close();
      Thread.sleep(down.toMillis());
      server = EmbeddedXmppServer.start(Demo.DOMAIN, tls, ca, dir, port);
      accounts.forEach(server::addUser);
    }

    @Override
    public synchronized void close() {
      server.close();
    }
  }

  @Override
  public String describe() {
    return "embedded XMPP server, components in this JVM";
  }

  @Override
  public List<Chaos.Fault> faults() {
    return List.of(Chaos.Fault.values());
  }

  @Override
  public void start() throws Exception {
    pki = Pki.create(settings.workDir().resolve("ca"), services, "keymanager", Duration.ofMinutes(5));
    xmpp = new RestartableXmpp(pki.ca.issueServer(List.of(Demo.DOMAIN, "localhost", "127.0.0.1"),
        Duration.ofDays(2)), pki.ca.certificate(), settings.workDir());
    stack.add(xmpp);
    pki.serve(xmpp, stack);
    try (ServerSocket s = new ServerSocket(0)) {
      storagePort = s.getLocalPort();
    }
    startStorage();
    for (int i = 1; i <= jobManagerCount; i++) {
      startJobManager("jm-" + i);
    }
    for (int i = 0; i < agentCount; i++) {
      bootAgent();
    }
  }

  private void startStorage() throws Exception {
    Component c = new Component("storage");
    XmppBus bus = pki.join(xmpp, "storage", password("storage"), "sa-1", Role.STORAGE, c.parts);
    StorageConfig config = StorageConfig.from(Settings.of(settings.storage(storagePort)), Demo.DOMAIN);
    StorageBackend backend = StorageBackend.from(config);
    c.parts.add(backend);
    c.parts.add(StorageAdapter.start(config, bus, backend, services.scheduler.clock()));
    storage = c;
  }

  private void startJobManager(String resource) throws Exception {
    Component c = new Component(resource);
    XmppBus bus = pki.join(xmpp, "jobmanager", password("jobmanager"), resource, Role.JOB_MANAGER, c.parts);
    JobManagerConfig config = JobManagerConfig.from(Settings.of(settings.jobManager()), Demo.DOMAIN);
    PandaJobSource source = workload.openSource();
    JobManager jm = new JobManager(config, bus, source, services.scheduler);
    jm.start();
    // Closed in reverse: the PanDA client first, so that the job manager's stop says nothing to PanDA, as
    // a crash would: its prefetched jobs are failed by PanDA for a lost heartbeat.
    c.parts.add(jm);
    c.parts.add(source);
    jobManagers.put(resource, c);
  }

  private void bootAgent() throws Exception {
    String name = "agent-" + ++agentsBooted;
    Component c = new Component(name);
    XmppBus bus = pki.join(xmpp, name, "vm", Role.AGENT, c.parts);
    Agent agent = new Agent(AgentConfig.from(Settings.of(settings.agent()), name, Demo.DOMAIN), bus,
        services.scheduler, services.workers);
    agent.start();
    c.parts.add(agent);
    agents.add(c);
  }

  private String password(String account) {
    return passwords.computeIfAbsent(account, a -> pki.remember(Pki.password()));
  }

  @Override
  public String inject(Chaos.Fault fault, Random random) throws Exception {
    return switch (fault) {
      case KILL_AGENT -> {
        Component victim = agents.remove(random.nextInt(agents.size()));
        victim.close();
        killedAgents.add(victim.name);
        bootAgent();
        yield "killed " + victim.name + " with its payload; booted " + agents.get(agents.size() - 1).name;
      }
      case KILL_JOB_MANAGER -> {
        List<String> names = new ArrayList<>(jobManagers.keySet());
        String victim = names.get(random.nextInt(names.size()));
        jobManagers.remove(victim).close();
        Thread.sleep(500);
        startJobManager(victim);
        yield "killed job manager " + victim + " and started it again with no state";
      }
      case KILL_STORAGE -> {
        storage.close();
        Thread.sleep(500);
        startStorage();
        yield "killed the storage adapter and started it again on port " + storagePort;
      }
      case RESTART_XMPP -> {
        xmpp.restart(Duration.ofSeconds(1));
        yield "stopped the XMPP server for 1s and started it again; every session dropped";
      }
    };
  }

  @Override
  public Set<String> killedAgents() {
    return Set.copyOf(killedAgents);
  }

  @Override
  public int replaysRefused() {
    return 0;
  }

  @Override
  public List<String> replaysAccepted() {
    return List.of();
  }

  @Override
  public List<String> summary() {
    return List.of();
  }

  @Override
  public void close() throws Exception {
    agents.forEach(Component::close);
    jobManagers.values().forEach(Component::close);
    if (storage != null) {
      storage.close();
    }
    for (int i = stack.size() - 1; i >= 0; i--) {
      stack.get(i).close();
    }
  }
}
