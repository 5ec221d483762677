package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.testbed.xmpp.EmbeddedXmppServer;

/**
 * How heavy the agent is in a VM: {@code copilot agent} is started as its own process with a tuned JVM,
 * its settings in a user-data file, against the embedded XMPP server, a key manager and a job manager
 * with nothing to do; measured are the time from starting the process to the first {@code want_getJob}
 * at the job manager (JVM start, login, enrollment included) and the agent's resident memory once it has
 * been idle for a while.
 */
final class Footprint {
  /** The JVM options of an agent in a small VM: one small heap, no optimizing compiler, small stacks. */
  static final List<String> TUNED_JVM = List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx32m",
      "-XX:MinHeapFreeRatio=5", "-XX:MaxHeapFreeRatio=10", "-Xss256k", "-XX:TieredStopAtLevel=1",
      "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=16m", "-XX:MaxMetaspaceSize=64m", "-Xshare:auto");

  /**
   * What was measured.
   *
   * @param startup from starting the agent's process to its first {@code want_getJob}
   * @param idleResidentBytes the agent process's resident set after {@code idle}
   */
  record Result(Duration startup, long idleResidentBytes, Duration idle, List<String> jvm) {
    String line() {
      return String.format(Locale.ROOT, "footprint: agent start to first want_getJob %.2f s (goal 2 s); idle "
          + "resident memory %.1f MB after %d s (goal 64 MB); JVM %s", startup.toMillis() / 1000.0,
          idleResidentBytes / 1e6, idle.toSeconds(), String.join(" ", jvm));
    }

    boolean withinGoals() {
      return startup.compareTo(Duration.ofSeconds(2)) <= 0 && idleResidentBytes <= 64_000_000L;
    }
  }

  private Footprint() {}

  /** Measures once in {@code dir}, with the agent's JVM started with {@code jvm}. */
  static Result measure(Path dir, Duration idle, List<String> jvm, PrintStream out) throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    Process agent = null;
    try (Services services = new Services("footprint", 4)) {
      Pki pki = Pki.create(dir.resolve("ca"), services);
      EmbeddedXmppServer server = EmbeddedXmppServer.start(Demo.DOMAIN, pki.ca.issueServer(
          List.of(Demo.DOMAIN, "127.0.0.1"), Duration.ofDays(1)), pki.ca.certificate(), dir);
      stack.add(server);
      pki.serve(server, stack);
      GenericQueue queue = GenericQueue.open(dir.resolve("queue"), services.scheduler.clock(), 3);
      XmppBus jmBus = pki.join(server, "jobmanager", "jm-1", Role.JOB_MANAGER, stack);
      CompletableFuture<Long> firstWant = new CompletableFuture<>();
      jmBus.subscribe(in -> {
        if (in.message() instanceof WantGetJob) {
          firstWant.complete(System.nanoTime());
        }
      });
      JobManager jm = new JobManager(JobManagerConfig.from(Settings.of(Map.of(
          "job-manager.ticket-key-file", dir.resolve("ticket.key").toString())), Demo.DOMAIN), jmBus, queue,
          services.scheduler);
      stack.add(jm);
      jm.start();

      String password = Pki.password();
      XmppSettings x = server.account("vm-agent", password, "vm");
      Path userData = Files.writeString(dir.resolve("user-data.txt"), String.join("\n",
          "[copilot]",
          "xmpp.host=" + x.host(), "xmpp.port=" + x.port(), "xmpp.domain=" + x.domain(), "xmpp.user=vm-agent",
          "xmpp.password=" + password, "xmpp.resource=vm", "xmpp.register=" + x.register(),
          x.trustCertificate() == null ? "" : "xmpp.trust=" + x.trustCertificate(),
          x.tlsProtocols().isEmpty() ? "" : "xmpp.tls-protocols=" + String.join(",", x.tlsProtocols()),
          "security.ca=" + dir.resolve("ca").resolve("ca.pem"), "security.key-manager=" + pki.address(Demo.DOMAIN),
          "security.token=" + pki.token(Role.AGENT), "security.dir=" + dir.resolve("agent-keys"),
          "agent.cores=1", "agent.work-dir=" + dir.resolve("work"), "agent.idle-shutdown=never", ""));
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      cmd.addAll(jvm);
      cmd.addAll(List.of("-jar", LoadRun.jar().toString(), "agent", "--set", "context.user-data-file=" + userData));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(dir.resolve("agent.log").toFile());
      pb.environment().put("COPILOT_LOG_LEVEL", "WARN");
      // glibc gives every thread that allocates its own malloc arena of up to 64 MB; two are plenty here.
      pb.environment().put("MALLOC_ARENA_MAX", "2");
      long t0 = System.nanoTime();
      agent = pb.start();
      long t1;
      try {
        t1 = firstWant.get(60, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new IOException("the agent sent no want_getJob within 60 s; see " + dir.resolve("agent.log"), e);
      }
      Duration startup = Duration.ofNanos(t1 - t0);
      out.printf(Locale.ROOT, "footprint: first want_getJob after %.2f s; idling for %d s%n", startup.toMillis() / 1000.0,
          idle.toSeconds());
      Thread.sleep(idle.toMillis());
      if (!agent.isAlive()) {
        throw new IOException("the agent exited with " + agent.exitValue() + "; see " + dir.resolve("agent.log"));
      }
      return new Result(startup, residentBytes(agent.pid()), idle, List.copyOf(jvm));
    } finally {
      if (agent != null) {
        agent.destroy();
        if (!agent.waitFor(10, TimeUnit.SECONDS)) {
          agent.destroyForcibly().waitFor();
        }
      }
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }

  private static long residentBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS in /proc/" + pid + "/status");
  }
}
