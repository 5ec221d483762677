package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.cernvm.copilot.testkit.cloud.FakeMetadataService;

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
  record Result(Duration startup, long idleResidentBytes, Duration idle, AgentJvm jvm) {
    String line() {
      return String.format(Locale.ROOT, "footprint: agent start to first want_getJob %.2f s (goal 2 s); idle "
          + "resident memory %.1f MB after %d s (goal 64 MB); %s", startup.toMillis() / 1000.0,
          idleResidentBytes / 1e6, idle.toSeconds(), jvm.describe());
    }

    boolean withinGoals() {
      return startup.compareTo(Duration.ofSeconds(2)) <= 0 && idleResidentBytes <= 64_000_000L;
    }
  }

  /** How long a floor JVM idles before its memory is read: longer than the launcher's native-heap trim interval. */
  static final Duration FLOOR_SETTLE = Duration.ofSeconds(6);

  private Footprint() {}

  /**
   * The floor under the agent's idle memory: for each {@link LibraryFloor#STEPS step}, the resident set of
   * a JVM started by the agent's launcher (so with its options and environment) that sets up that library
   * and those before it as the agent does, and nothing else, read after {@link #FLOOR_SETTLE}.
   *
   * @param jvm how the launcher starts the JVMs
   * @return the resident bytes after each step, in the order of the steps
   */
  static List<Long> floor(Path dir, AgentJvm jvm) throws Exception {
    // A jar with nothing but a manifest, so that the launcher's "java -jar" runs LibraryFloor from the testbed's jar.
    Path jar = dir.resolve("library-floor.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, LibraryFloor.class.getName());
    manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH,
        dir.toAbsolutePath().relativize(LoadRun.jar().toAbsolutePath()).toString());
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      out.flush();
    }
    List<Long> rss = new ArrayList<>();
    for (int n = 1; n <= LibraryFloor.STEPS.size(); n++) {
      ProcessBuilder pb = new ProcessBuilder(AgentVm.launcher().toString(), Integer.toString(n))
          .redirectError(dir.resolve("library-floor.log").toFile());
      pb.environment().put("COPILOT_AGENT_JAR", jar.toString());
      jvm.applyTo(pb.environment());
      Process p = pb.start();
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
          try {
            return lines.readLine();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
        String line = ready.get(60, TimeUnit.SECONDS);
        if (!"ready".equals(line)) {
          throw new IOException("the library floor JVM (" + LibraryFloor.STEPS.get(n - 1) + ") did not start; see "
              + dir.resolve("library-floor.log"));
        }
        Thread.sleep(FLOOR_SETTLE.toMillis());
        rss.add(LoadRun.residentBytes(p.pid()));
      } catch (TimeoutException e) {
        throw new IOException("the library floor JVM was not ready within 60 s; see "
            + dir.resolve("library-floor.log"), e);
      } finally {
        p.getOutputStream().close();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      }
    }
    return rss;
  }

  /** The line that {@code copilot footprint --floor} prints for {@link #floor}'s figures. */
  static String floorLine(List<Long> rss) {
    StringBuilder b =
        new StringBuilder("footprint: floor, a JVM started by the launcher that sets up only what every agent needs:");
    for (int i = 0; i < rss.size(); i++) {
      b.append(i == 0 ? " " : ", + ").append(LibraryFloor.STEPS.get(i))
          .append(String.format(Locale.ROOT, " %.1f MB", rss.get(i) / 1e6));
    }
    return b.toString();
  }

  /** Measures once in {@code dir}, with the agent's JVM started as {@code jvm} says. */
  static Result measure(Path dir, Duration idle, AgentJvm jvm, PrintStream out) throws Exception {
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
      out.printf(Locale.ROOT, "footprint: first want_getJob after %.2f s; idling for %d s%n",
          startup.toMillis() / 1000.0, idle.toSeconds());
      Thread.sleep(idle.toMillis());
      if (!agent.isAlive()) {
        throw new IOException("the agent exited with " + agent.exitValue() + "; see " + vm.log());
      }
      return new Result(startup, LoadRun.residentBytes(agent.pid()), idle, jvm);
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
