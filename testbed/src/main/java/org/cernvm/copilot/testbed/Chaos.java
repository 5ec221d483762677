package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
import org.cernvm.copilot.testkit.panda.JobView;

/**
 * The chaos run: ATLAS evgen jobs from a fake PanDA server through two (or more) job managers, a storage
 * adapter and a few agents, while faults are injected at random intervals: an agent is killed (its payload
 * too, nothing reported) and a new one boots in its place, a job manager is killed and started again with
 * no state, the storage adapter is killed and started again on its port, and (on the embedded XMPP server)
 * the XMPP server is stopped and started again, losing every session. The components run in this JVM on
 * the embedded XMPP server ({@link InProcessRig}), or each as a process of its own on Prosody (or
 * ejabberd), killed with SIGKILL ({@link ProcessRig}). The faults come in shuffled rounds, so every kind happens. Faults stop when
 * the duration is over and a whole round was injected, or earlier once every job has ended and a whole
 * round was injected; then the run waits until PanDA has every job in a final state.
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
   * The XMPP server a run of processes uses, as {@code scripts/prosody-up} (or {@code ejabberd-up}) leaves
   * it: its directory holds the key manager's CA ({@code ca/}, which issued the server's certificate, with
   * the one-time token file) and the CA key's passphrase ({@code ca.passphrase}).
   *
   * @param host the server's address
   * @param port its client port
   * @param dir its directory
   */
  record XmppServer(String host, int port, Path dir) {
    /** The key manager's CA directory. */
    Path caDir() {
      return dir.resolve("ca");
    }

    /** The CA key's passphrase. */
    String passphrase() throws IOException {
      return Files.readString(dir.resolve("ca.passphrase")).trim();
    }
  }

  /**
   * What to run.
   *
   * @param jobs how many evgen jobs
   * @param events how many events each job generates
   * @param duration how long faults are injected
   * @param agents how many agents run at a time
   * @param jobManagers how many job managers run at a time
   * @param meanInterval the mean time between faults (uniform between half and one and a half of it)
   * @param settle how long to wait, after the faults, for every job to end
   * @param seed the seed of the fault schedule
   * @param workDir where everything is kept
   * @param processes the XMPP server on which each component runs as a process of its own, or
   *     {@code null} to run them in this JVM on the embedded XMPP server
   */
  record Options(int jobs, int events, Duration duration, int agents, int jobManagers, Duration meanInterval,
      Duration settle, long seed, Path workDir, XmppServer processes) {}

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
   * @param replaysRefused how many replays of a message it had accepted before it was killed a restarted
   *     component refused (with components as processes)
   * @param replaysAccepted the replays a restarted component did not refuse, each described
   */
  record Result(int jobs, int finished, int failedWithTheirAgent, int failedInDispatch, Map<String, String> lost,
      Map<String, String> duplicated, Map<Fault, Integer> faults, int replaysRefused, List<String> replaysAccepted) {
    /** Whether nothing was lost, duplicated or replayed. */
    boolean clean() {
      return lost.isEmpty() && duplicated.isEmpty() && replaysAccepted.isEmpty();
    }

    /** The closing line: {@code chaos: J jobs, 0 lost, 0 duplicated}. */
    String closingLine() {
      return "chaos: " + jobs + " jobs, " + lost.size() + " lost, " + duplicated.size() + " duplicated";
    }
  }

  /**
   * PanDA's lost-heartbeat time in chaos runs, far below a real server's (30 minutes by default) so that
   * runs are short, yet longer than a SIGKILLed job manager's restart on two busy cores: at 30 s, a job
   * whose heartbeats went unrelayed that long while its agent ran it was failed by PanDA, and its agent's
   * success then counted as a second end.
   */
  private static final Duration PANDA_HEARTBEAT_TIMEOUT = Duration.ofSeconds(60);
  /** How the node of a job that a job manager's prefetch holds begins, as PanDA sees it. */
  private static final String PREFETCH_NODE = "prefetch.";

  private final Options options;
  private final PrintStream out;
  private final Clock clock;
  private final Random random;
  private final Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
  private EvgenWorkload workload;
  private ChaosRig rig;

  Chaos(Options options, PrintStream out, Clock clock) {
    this.options = options;
    this.out = out;
    this.clock = clock;
    this.random = new Random(options.seed());
  }

  Result run() throws Exception {
    Path dir = options.workDir();
    try (Services services = new Services("chaos", 16)) {
      EvgenWorkload w = new EvgenWorkload(dir, options.jobs(), options.events(), services.scheduler.clock(),
          PANDA_HEARTBEAT_TIMEOUT);
      workload = w;
      try (w) {
        ChaosRig r = options.processes() == null
            ? new InProcessRig(new ChaosSettings(dir, Demo.DOMAIN, ""), options.agents(), options.jobManagers(),
                services, workload)
            : new ProcessRig(dir, options.processes(), options.agents(), options.jobManagers(), workload, services);
        rig = r;
        try (r) {
          out.printf("chaos: %d agents, %d job managers, %s, %s, faults every ~%ss for %s, seed %d, work dir %s%n",
              options.agents(), options.jobManagers(), workload.describe(), rig.describe(),
              options.meanInterval().toMillis() / 1000.0, options.duration(), options.seed(), dir);
          rig.start();
          inject();
          settle();
          return count();
        }
      }
    }
  }

  private void inject() throws Exception {
    List<Fault> kinds = rig.faults();
    Instant end = clock.instant().plus(options.duration());
    List<Fault> round = new ArrayList<>();
    int injected = 0;
    String last = "";
    // At least one whole round, so that every kind of fault happens however short the duration.
    while (clock.instant().isBefore(end) || injected < kinds.size()) {
      if (injected >= kinds.size() && workload.progress().allEnded()) {
        out.println("chaos: every job has ended; no more faults");
        return;
      }
      long mean = options.meanInterval().toMillis();
      Thread.sleep(mean / 2 + (long) (random.nextDouble() * mean));
      if (round.isEmpty()) {
        round.addAll(kinds);
        Collections.shuffle(round, random);
      }
      Fault f = round.remove(0);
      out.println("chaos: " + rig.inject(f, random));
      faults.merge(f, 1, Integer::sum);
      injected++;
      String line = workload.progress().line();
      if (!line.equals(last)) {
        out.println(line);
        last = line;
      }
    }
  }

  private void settle() throws Exception {
    out.println("chaos: no more faults; waiting up to " + options.settle() + " for every job to end");
    Instant deadline = clock.instant().plus(options.settle());
    String last = "";
    while (clock.instant().isBefore(deadline)) {
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
    Set<String> killedAgents = rig.killedAgents();
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
      } else if (killedAgents.contains(j.node()) || agentsOfJob.stream().anyMatch(killedAgents::contains)) {
        // PanDA knows a prefetched job's agent only from the job's first relayed heartbeat.
        withAgent++;
      } else if (j.pilotErrorDiag().equals("lost heartbeat")
          && (agentsOfJob.isEmpty() || j.node().startsWith(PREFETCH_NODE))) {
        // Failed by PanDA before any agent's heartbeat reached it: the job waited in a prefetch, or its
        // agent had not yet relayed one, when PanDA's lost-heartbeat time ran out.
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
    rig.summary().forEach(line -> out.println("chaos: " + line));
    rig.replaysAccepted().forEach(r -> out.println("chaos: REPLAY ACCEPTED: " + r));
    return new Result(options.jobs(), finished, withAgent, inDispatch, lost, duplicated, faults,
        rig.replaysRefused(), rig.replaysAccepted());
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
