package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cernvm.copilot.testbed.cloud.FakeMetadataService;

/**
 * How heavy the agent is in a VM: the agent-only artifact is booted as in an {@link AgentVm}, through its
 * launcher (whose JVM options are tuned for small VMs), from user-data that a fake EC2 metadata service
 * serves, with a job manager with nothing to do; measured are the time from starting the process to the
 * first {@code want_getJob} at the job manager (JVM start, user-data, login, enrollment included) and the
 * agent's resident memory once it has been idle (and polling for spot notices) for a while.
 */
final class Footprint {
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
          idleResidentBytes / 1e6, idle.toSeconds(), jvm.isEmpty() ? "options of the launcher" : String.join(" ", jvm));
    }

    boolean withinGoals() {
      return startup.compareTo(Duration.ofSeconds(2)) <= 0 && idleResidentBytes <= 64_000_000L;
    }
  }

  private Footprint() {}

  /** Measures once in {@code dir}, with the agent's JVM started with {@code jvm} (empty: the launcher's). */
  static Result measure(Path dir, Duration idle, List<String> jvm, PrintStream out) throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    Process agent = null;
    try (Services services = new Services("footprint", 4)) {
      AgentVm vm = AgentVm.start(dir, services, stack);
      // As on EC2: user-data from the metadata service, with session tokens, which the agent goes on
      // polling for a spot notice while it idles.
      FakeMetadataService metadata = FakeMetadataService.start(0).requireTokens();
      stack.add(metadata);
      metadata.userData(vm.userData(Map.of("agent.idle-shutdown", "never")));
      long t0 = System.nanoTime();
      agent = vm.bootFromMetadata(jvm, metadata.url());
      long t1;
      try {
        t1 = vm.firstWant().get(60, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new IOException("the agent sent no want_getJob within 60 s; see " + vm.log(), e);
      }
      Duration startup = Duration.ofNanos(t1 - t0);
      out.printf(Locale.ROOT, "footprint: first want_getJob after %.2f s; idling for %d s%n", startup.toMillis() / 1000.0,
          idle.toSeconds());
      Thread.sleep(idle.toMillis());
      if (!agent.isAlive()) {
        throw new IOException("the agent exited with " + agent.exitValue() + "; see " + vm.log());
      }
      return new Result(startup, LoadRun.residentBytes(agent.pid()), idle, List.copyOf(jvm));
    } finally {
      if (agent != null) {
        agent.destroy();
        if (!agent.waitFor(30, TimeUnit.SECONDS)) {
          agent.destroyForcibly().waitFor();
        }
      }
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }
}
