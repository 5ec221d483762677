package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
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
import org.cernvm.copilot.testbed.panda.JobView;
import org.cernvm.copilot.testbed.xmpp.EmbeddedXmppServer;
import org.cernvm.copilot.testbed.xmpp.XmppAccounts;

/**
 * The chaos run: ATLAS evgen jobs from a fake PanDA server through two (or more) job managers, a storage
 * adapter and a few agents on the embedded XMPP server, while faults are injected at random intervals:
 * an agent is killed (its payload too, nothing reported) and a new one boots in its place, a job manager
 * is killed and started again with no state, the storage adapter is killed and started again on its
 * port, and the XMPP server is stopped and started again, losing every session. The faults come in
 * shuffled rounds, so every kind happens. Faults stop when the duration is over, or once every job has
 * ended and a whole round was injected; then the run waits until PanDA has every job in a final state.
 *
 * <p>Then it counts. A job is <em>lost</em> if PanDA has it in no final state, if it finished but its
 * output does not verify against what PanDA recorded, or if it failed for any reason but the death of the
 * agent that ran it (or of the job manager in the middle of handing it out, which PanDA, like for a pilot
 * that dies, fails for a lost heartbeat). A job is <em>duplicated</em> if it ran on more than one agent or
 * if PanDA was told it finished after it had ended.
 */
final class Chaos {
  /** The kinds of fault. */
  enum Fault {
    KILL_AGENT,
    KILL_JOB_MANAGER,
    KILL_STORAGE,
    RESTART_XMPP
  }

  /**
   * What to run.
   *
   * @param jobs how many evgen jobs
   * @param duration how long faults are injected
   * @param agents how many agents run at a time
   * @param jobManagers how many job managers run at a time
   * @param meanInterval the mean time between faults (uniform between half and one and a half of it)
   * @param settle how long to wait, after the faults, for every job to end
   * @param seed the seed of the fault schedule
   * @param workDir where everything is kept
   */
  record Options(int jobs, Duration duration, int agents, int jobManagers, Duration meanInterval, Duration settle,
      long seed, Path workDir) {}

  /**
   * How the run ended.
   *
   * @param jobs how many jobs were submitted
   * @param finished how many finished with verified output
   * @param failedWithTheirAgent how many failed because the agent running them was killed
   * @param failedInDispatch how many PanDA failed for a lost heartbeat because the job manager handing them out was
   *     killed
   * @param lost the ids of lost jobs, with why
   * @param duplicated the ids of duplicated jobs, with why
   * @param faults how many faults of each kind were injected
   */
  record Result(int jobs, int finished, int failedWithTheirAgent, int failedInDispatch, Map<String, String> lost,
      Map<String, String> duplicated, Map<Fault, Integer> faults) {
    /** The closing line: {@code chaos: J jobs, 0 lost, 0 duplicated}. */
    String closingLine() {
      return "chaos: " + jobs + " jobs, " + lost.size() + " lost, " + duplicated.size() + " duplicated";
    }
  }

  private static final Duration LEASE = Duration.ofSeconds(20);
  private static final Duration PANDA_HEARTBEAT_TIMEOUT = Duration.ofSeconds(30);

  private final Options options;
  private final PrintStream out;
  private final Random random;
  private final List<AutoCloseable> stack = new ArrayList<>();
  private final Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
  private final Set<String> killedAgents = new HashSet<>();
  /** One password per account, kept across restarts. */
  private final Map<String, String> passwords = new HashMap<>();
  private Services services;
  private Pki pki;
  private EvgenWorkload workload;
  private RestartableXmpp xmpp;
  private final List<Component> agents = new ArrayList<>();
  private final Map<String, Component> jobManagers = new LinkedHashMap<>();
  private Component storage;
  private int storagePort;
  private int agentsBooted;

  Chaos(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
    this.random = new Random(options.seed());
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
    private final Path dir;
    private final Map<String, String> accounts = new HashMap<>();
    private EmbeddedXmppServer server;

    RestartableXmpp(Credentials tls, X509Certificate ca, Path dir) throws IOException {
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

  Result run() throws Exception {
    try {
      services = new Services("chaos", 16);
      stack.add(services);
      Path dir = options.workDir();
      workload = new EvgenWorkload(dir, options.jobs(), 1000, services.scheduler.clock(), PANDA_HEARTBEAT_TIMEOUT);
      stack.add(workload);
      out.printf("chaos: %d agents, %d job managers, %s, embedded XMPP server, faults every ~%ss for %s, seed %d, "
              + "work dir %s%n", options.agents(), options.jobManagers(), workload.describe(),
          options.meanInterval().toMillis() / 1000.0, options.duration(), options.seed(), dir);
      pki = Pki.create(dir.resolve("ca"), services, "keymanager", Duration.ofMinutes(5));
      xmpp = new RestartableXmpp(pki.ca.issueServer(List.of(Demo.DOMAIN, "localhost", "127.0.0.1"),
          Duration.ofDays(2)), pki.ca.certificate(), dir);
      stack.add(xmpp);
      pki.serve(xmpp, stack);
      try (ServerSocket s = new ServerSocket(0)) {
        storagePort = s.getLocalPort();
      }
      startStorage();
      for (int i = 1; i <= options.jobManagers(); i++) {
        startJobManager("jm-" + i);
      }
      for (int i = 0; i < options.agents(); i++) {
        bootAgent();
      }
      inject();
      settle();
      return count();
    } finally {
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

  private void startStorage() throws Exception {
    Component c = new Component("storage");
    XmppBus bus = pki.join(xmpp, "storage", password("storage"), "sa-1", Role.STORAGE, c.parts);
    StorageConfig config = StorageConfig.from(Settings.of(Map.of(
        "storage.port", Integer.toString(storagePort),
        "storage.root", options.workDir().resolve("storage").toString(),
        "storage.grant-key-file", options.workDir().resolve("storage-grant.key").toString())), Demo.DOMAIN);
    StorageBackend backend = StorageBackend.from(config);
    c.parts.add(backend);
    c.parts.add(StorageAdapter.start(config, bus, backend, services.scheduler.clock()));
    storage = c;
  }

  private void startJobManager(String resource) throws Exception {
    Component c = new Component(resource);
    XmppBus bus = pki.join(xmpp, "jobmanager", password("jobmanager"), resource, Role.JOB_MANAGER, c.parts);
    JobManagerConfig config = JobManagerConfig.from(Settings.of(Map.of(
        "job-manager.lease", LEASE.toSeconds() + "s",
        "job-manager.sweep-interval", "1s",
        "job-manager.ticket-key-file", options.workDir().resolve("job-manager-ticket.key").toString())), Demo.DOMAIN);
    PandaJobSource source = workload.openSource();
    c.parts.add(source);
    JobManager jm = new JobManager(config, bus, source, services.scheduler);
    jm.start();
    c.parts.add(jm);
    jobManagers.put(resource, c);
  }

  private void bootAgent() throws Exception {
    String name = "agent-" + ++agentsBooted;
    Component c = new Component(name);
    XmppBus bus = pki.join(xmpp, name, "vm", Role.AGENT, c.parts);
    Settings settings = Settings.of(Map.of(
        "agent.cores", "1",
        "agent.work-dir", options.workDir().resolve("agents").toString(),
        "agent.idle-backoff-max", "1s"));
    Agent agent = new Agent(AgentConfig.from(settings, name, Demo.DOMAIN), bus, services.scheduler, services.workers);
    agent.start();
    c.parts.add(agent);
    agents.add(c);
  }

  private String password(String account) {
    return passwords.computeIfAbsent(account, a -> pki.remember(Pki.password()));
  }

  private void inject() throws Exception {
    Instant end = Instant.now().plus(options.duration());
    List<Fault> round = new ArrayList<>();
    String last = "";
    while (Instant.now().isBefore(end)) {
      if (workload.progress().allEnded() && faults.values().stream().mapToInt(Integer::intValue).sum()
          >= Fault.values().length) {
        out.println("chaos: every job has ended; no more faults");
        return;
      }
      long mean = options.meanInterval().toMillis();
      Thread.sleep(mean / 2 + (long) (random.nextDouble() * mean));
      if (round.isEmpty()) {
        round.addAll(List.of(Fault.values()));
        Collections.shuffle(round, random);
      }
      Fault f = round.remove(0);
      out.println("chaos: " + inject(f));
      faults.merge(f, 1, Integer::sum);
      String line = workload.progress().line();
      if (!line.equals(last)) {
        out.println(line);
        last = line;
      }
    }
  }

  private String inject(Fault f) throws Exception {
    return switch (f) {
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

  private void settle() throws Exception {
    out.println("chaos: no more faults; waiting up to " + options.settle() + " for every job to end");
    Instant deadline = Instant.now().plus(options.settle());
    String last = "";
    while (Instant.now().isBefore(deadline)) {
      Workload.Progress p = workload.progress();
      if (!p.line().equals(last)) {
        out.println(p.line());
        last = p.line();
      }
      if (p.allEnded()) {
        return;
      }
      Thread.sleep(500);
    }
  }

  private Result count() throws Exception {
    Map<String, Set<String>> ranOn = ranOn(options.workDir().resolve("agents"));
    Map<String, String> lost = new LinkedHashMap<>();
    Map<String, String> duplicated = new LinkedHashMap<>();
    int finished = 0;
    int withAgent = 0;
    int inDispatch = 0;
    int staleReports = 0;
    for (JobView j : workload.jobs()) {
      String id = Long.toString(j.pandaId());
      Set<String> agentsOfJob = ranOn.getOrDefault(id, Set.of());
      if (agentsOfJob.size() > 1) {
        duplicated.put(id, "ran on " + agentsOfJob);
      }
      // A success reported after another end means the job ran twice. A failure reported after the end,
      // by a replica whose lease expired while another replica took the job's end, is refused and harmless.
      j.history().stream().filter(h -> h.contains(" refused finished")).findFirst()
          .ifPresent(h -> duplicated.put(id, "a second end was reported: " + h));
      staleReports += (int) j.history().stream().filter(h -> h.contains(" refused failed")).count();
      if (!j.isFinal()) {
        lost.put(id, "still " + j.state() + " upstream");
      } else if (j.state().equals("finished")) {
        String problem = workload.problem(j);
        if (problem == null) {
          finished++;
        } else {
          lost.put(id, problem);
        }
      } else if (killedAgents.contains(j.node())) {
        withAgent++;
      } else if (j.pilotErrorDiag().equals("lost heartbeat") && agentsOfJob.isEmpty()) {
        inDispatch++;
      } else {
        lost.put(id, j.state() + " on " + j.node() + ": " + j.pilotErrorCode() + " " + j.pilotErrorDiag());
      }
    }
    lost.forEach((id, why) -> out.println("chaos: LOST PanDA job " + id + ": " + why));
    duplicated.forEach((id, why) -> out.println("chaos: DUPLICATED PanDA job " + id + ": " + why));
    out.println("chaos: faults " + faults + "; " + finished + " finished and verified, " + withAgent
        + " failed with the agent that ran them, " + inDispatch + " failed by PanDA while being handed out; "
        + staleReports + " late lease-expiry report(s) refused by PanDA");
    return new Result(options.jobs(), finished, withAgent, inDispatch, lost, duplicated, faults);
  }

  /** For each job, the agents whose work directories hold a run of it ({@code AGENT/JOB.EPOCH}). */
  private static Map<String, Set<String>> ranOn(Path agentsDir) throws IOException {
    Map<String, Set<String>> out = new HashMap<>();
    if (!Files.isDirectory(agentsDir)) {
      return out;
    }
    try (Stream<Path> agents = Files.list(agentsDir)) {
      for (Path agent : agents.toList()) {
        try (Stream<Path> runs = Files.list(agent)) {
          for (Path run : runs.toList()) {
            String name = run.getFileName().toString();
            String job = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
            out.computeIfAbsent(job, k -> new HashSet<>()).add(agent.getFileName().toString());
          }
        }
      }
    }
    return out;
  }
}
