package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.cernvm.copilot.keymanager.EnrollmentTokens;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.security.SecuritySettings;

/**
 * The chaos run's components as processes of their own on a real XMPP server (Prosody or ejabberd): the
 * key manager of the CA that issued the server's certificate ({@code copilot key-manager serve}), the storage adapter
 * ({@code copilot storage-adapter}), the job managers ({@code copilot job-manager --source panda}) and the
 * agents ({@code copilot agent}), each enrolling with a one-time token. A fault is SIGKILL: an agent's
 * payloads are killed with it and a new agent boots in its place, as a new VM would; a job manager or the
 * storage adapter starts again under the same account and resource with a fresh token, its state gone,
 * and a {@link ReplayProbe} checks that it refuses a message it accepted before it was killed. The XMPP
 * server is shared, so it is not restarted.
 */
final class ProcessRig implements ChaosRig {
  /** How long a component may take to start and enroll: JVMs start slowly on a busy machine. */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  /** Small heaps and a quick start: the machine runs many of them. */
  private static final List<String> JVM_OPTIONS = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private final ChaosSettings settings;
  private final Chaos.XmppServer server;
  private final int agentCount;
  private final int jobManagerCount;
  private final EvgenWorkload workload;
  private final Services services;
  private final EnrollmentTokens tokens;
  private final ChildProcesses children;
  /** One password per account, kept across restarts: the server keeps the account. */
  private final Map<String, String> passwords = new HashMap<>();
  private final List<ChildProcesses.Child> agents = new ArrayList<>();
  private final Map<String, ChildProcesses.Child> jobManagers = new LinkedHashMap<>();
  private final Set<String> killedAgents = new HashSet<>();
  private ChildProcesses.Child storage;
  private ReplayProbe probe;
  private int storagePort;
  private int agentsBooted;
  private int payloadsKilled;

  /**
   * Prepares the components of a run in {@code workDir}; the accounts are unique to the run, since the
   * server is shared.
   */
  ProcessRig(Path workDir, Chaos.XmppServer server, int agents, int jobManagers, EvgenWorkload workload,
      Services services) throws IOException {
    Clock clock = services.scheduler.clock();
    this.settings = new ChaosSettings(workDir, Demo.DOMAIN, "c" + UUID.randomUUID().toString().substring(0, 6) + "-");
    this.server = server;
    this.agentCount = agents;
    this.jobManagerCount = jobManagers;
    this.workload = workload;
    this.services = services;
    this.tokens = new EnrollmentTokens(server.caDir(), clock);
    this.children = new ChildProcesses(workDir.resolve("logs"), settings.agentsDir(), clock, JVM_OPTIONS);
  }

  @Override
  public String describe() {
    return "XMPP server at " + server.host() + ":" + server.port() + ", each component a JVM of its own (accounts "
        + settings.account("*") + ", logs in " + settings.workDir().resolve("logs") + ")";
  }

  @Override
  public List<Chaos.Fault> faults() {
    return List.of(Chaos.Fault.KILL_AGENT, Chaos.Fault.KILL_JOB_MANAGER, Chaos.Fault.KILL_STORAGE);
  }

  @Override
  public void start() throws Exception {
    Map<String, String> km = new HashMap<>(xmpp("keymanager"));
    km.put("key-manager.dir", server.caDir().toString());
    km.put("key-manager.service", settings.address("keymanager"));
    km.put("key-manager.passphrase", server.passphrase());
    children.start("key-manager", List.of("key-manager", "serve"), km).awaitOutput(" serving ", READY_TIMEOUT);
    Map<String, String> p = enrolling(settings.account("probe"), Role.AGENT);
    p.put("xmpp.user", settings.account("probe"));
    p.put("xmpp.resource", "vm");
    Settings ps = Settings.of(p);
    XmppSettings probeXmpp = XmppSettings.from(ps, null, "vm");
    probe = ReplayProbe.connect(probeXmpp, "raw", SecuritySettings.from(ps, settings.domain()), services);
    try (ServerSocket s = new ServerSocket(0)) {
      storagePort = s.getLocalPort();
    }
    // Started together, then awaited: each JVM takes seconds to start, and agents that boot before the job
    // managers serve ask again, as they do when none has work.
    storage = startStorage();
    for (int i = 1; i <= jobManagerCount; i++) {
      jobManagers.put("jm-" + i, startJobManager("jm-" + i));
    }
    for (int i = 0; i < agentCount; i++) {
      agents.add(bootAgent());
    }
    awaitStorage(storage);
    for (ChildProcesses.Child jm : jobManagers.values()) {
      awaitJobManager(jm);
    }
    for (ChildProcesses.Child a : agents) {
      awaitAgent(a);
    }
  }

  /** The keys that log a component in as the run's account {@code account}, trusting the CA for the server. */
  private Map<String, String> xmpp(String account) {
    return Map.of(
        "xmpp.host", server.host(),
        "xmpp.port", Integer.toString(server.port()),
        "xmpp.domain", settings.domain(),
        "xmpp.register", "true",
        "xmpp.password", passwords.computeIfAbsent(account, a -> Pki.password()),
        "security.ca", server.caDir().resolve("ca.pem").toString());
  }

  /** {@link #xmpp} and the keys that enroll the component in {@code role} with a new one-time token. */
  private Map<String, String> enrolling(String account, Role role) throws IOException {
    Map<String, String> s = new HashMap<>(xmpp(account));
    s.put("security.key-manager", settings.address("keymanager"));
    s.put("security.token", tokens.create(role, 1, Duration.ofMinutes(10)).get(0));
    return s;
  }

  private ChildProcesses.Child startStorage() throws IOException {
    Map<String, String> s = enrolling("storage", Role.STORAGE);
    s.putAll(settings.storage(storagePort));
    s.put("xmpp.resource", "sa-1");
    return children.start("storage", List.of("storage-adapter"), s);
  }

  private void awaitStorage(ChildProcesses.Child c) throws Exception {
    c.awaitOutput("uploads at", READY_TIMEOUT);
  }

  private ChildProcesses.Child startJobManager(String resource) throws IOException {
    Map<String, String> s = enrolling("jobmanager", Role.JOB_MANAGER);
    s.putAll(settings.jobManager());
    s.putAll(workload.sourceSettings());
    s.put("xmpp.resource", resource);
    return children.start(resource, List.of("job-manager", "--source", "panda"), s);
  }

  private void awaitJobManager(ChildProcesses.Child c) throws Exception {
    c.awaitOutput(" serving ", READY_TIMEOUT);
  }

  private ChildProcesses.Child bootAgent() throws IOException {
    String name = settings.account("agent-" + ++agentsBooted);
    Map<String, String> s = enrolling(name, Role.AGENT);
    s.putAll(settings.agent());
    s.put("xmpp.user", name);
    s.put("xmpp.resource", "vm");
    return children.start(name, List.of("agent"), s);
  }

  private void awaitAgent(ChildProcesses.Child c) throws Exception {
    c.awaitOutput("agent " + c.name() + " offering", READY_TIMEOUT);
  }

  @Override
  public String inject(Chaos.Fault fault, Random random) throws Exception {
    return switch (fault) {
      case KILL_AGENT -> {
        // An agent running a payload, if there is one: killing an idle agent tests little.
        List<ChildProcesses.Child> busy = agents.stream().filter(ChildProcesses.Child::hasChildren).toList();
        List<ChildProcesses.Child> pool = busy.isEmpty() ? agents : busy;
        ChildProcesses.Child victim = pool.get(random.nextInt(pool.size()));
        agents.remove(victim);
        int below = victim.kill();
        // The payloads of a killed agent: those it had started, and any it started as it was being killed.
        int payloads = Math.max(below, children.killUnder(settings.agentsDir().resolve(victim.name())));
        payloadsKilled += payloads;
        killedAgents.add(victim.name());
        ChildProcesses.Child next = bootAgent();
        awaitAgent(next);
        agents.add(next);
        yield "SIGKILL to " + victim.name() + " (pid " + victim.pid() + ") and its " + payloads
            + " payload process(es), none left running; booted " + next.name() + " (pid " + next.pid() + ")";
      }
      case KILL_JOB_MANAGER -> {
        List<String> names = new ArrayList<>(jobManagers.keySet());
        String resource = names.get(random.nextInt(names.size()));
        Address address = Address.of(settings.address("jobmanager") + "/" + resource);
        ReplayProbe.Sent seen = probe.heartbeat(address);
        ChildProcesses.Child victim = jobManagers.remove(resource);
        victim.kill();
        ChildProcesses.Child next = startJobManager(resource);
        awaitJobManager(next);
        jobManagers.put(resource, next);
        if (seen != null) {
          probe.replay(seen);
        }
        yield "SIGKILL to job manager " + resource + " (pid " + victim.pid() + "); started it again as "
            + settings.address("jobmanager") + "/" + resource + " with a fresh token (pid " + next.pid() + ")";
      }
      case KILL_STORAGE -> {
        ReplayProbe.Sent seen = probe.uploadRequest(Address.of(settings.address("storage") + "/sa-1"),
            settings.address("jobmanager"));
        ChildProcesses.Child victim = storage;
        victim.kill();
        storage = startStorage();
        awaitStorage(storage);
        if (seen != null) {
          probe.replay(seen);
        }
        yield "SIGKILL to the storage adapter (pid " + victim.pid() + "); started it again as "
            + settings.address("storage") + "/sa-1 on port " + storagePort + " with a fresh token (pid "
            + storage.pid() + ")";
      }
      case RESTART_XMPP -> throw new IllegalArgumentException("the shared XMPP server is not restarted");
    };
  }

  @Override
  public Set<String> killedAgents() {
    return Set.copyOf(killedAgents);
  }

  @Override
  public int replaysRefused() {
    return probe == null ? 0 : probe.refused();
  }

  @Override
  public List<String> replaysAccepted() {
    return probe == null ? List.of() : probe.accepted();
  }

  @Override
  public List<String> summary() throws IOException {
    List<String> exited = children.exitedByThemselves();
    return List.of(children.started() + " processes started, " + payloadsKilled + " payload process(es) killed "
        + "with their agents, " + (exited.isEmpty() ? "none exited but by SIGKILL" : "EXITED BY THEMSELVES: "
            + exited) + "; " + refusedAsStale() + " message(s) refused STALE (sent before their receiver "
        + "started), " + replaysRefused() + " of them the probe's replays");
  }

  /** How many messages the components refused for having been sent before the receiver started. */
  private long refusedAsStale() throws IOException {
    long n = 0;
    try (Stream<Path> logs = Files.list(settings.workDir().resolve("logs"))) {
      for (Path log : logs.toList()) {
        try (Stream<String> lines = Files.lines(log)) {
          n += lines.filter(l -> l.contains("SENT_BEFORE_START")).count();
        }
      }
    }
    return n;
  }

  @Override
  public void close() throws Exception {
    try {
      if (probe != null) {
        probe.close();
      }
    } finally {
      children.close();
    }
  }
}
