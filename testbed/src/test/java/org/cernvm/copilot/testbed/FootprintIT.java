package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short version of {@code copilot footprint}: the agent, started as its own process with the
 * tuned JVM and its user-data from a fake metadata service, enrolls and asks the job manager for work, and
 * its idle memory is read; and the floor under it. (It runs the packaged jars, so this runs after
 * {@code package}.)
 */
class FootprintIT {
  @TempDir Path dir;

  @Test
  void issue8_theAgentProcessStartsFromUserDataAndIsMeasuredIdle() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Footprint.Result r = Footprint.measure(dir, Duration.ofSeconds(3), AgentJvm.LAUNCHERS,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));

    // Generous bounds: the goals (2 s, 64 MB) are for the footprint command on an idle machine.
    assertThat(r.startup()).isPositive().isLessThan(Duration.ofSeconds(30));
    assertThat(r.idleResidentBytes()).isBetween(10_000_000L, 400_000_000L);
    assertThat(r.line()).contains("agent start to first want_getJob").contains("options of the launcher");
    assertThat(Files.readString(dir.resolve("agent.log"))).doesNotContain("Exception");
  }

  @Test
  void issue8_theAgentRunsOnTheRuntimeThatMakeRuntimeMakes() throws Exception {
    Path runtime = dir.resolve("runtime");
    Process make = new ProcessBuilder(AgentVm.launcher().resolveSibling("make-runtime").toString(), runtime.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("make-runtime.log").toFile()).start();
    assertThat(make.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(make.exitValue()).as(Files.readString(dir.resolve("make-runtime.log"))).isZero();

    Path java = runtime.resolve("bin/java");
    Files.createDirectories(dir.resolve("vm"));
    Footprint.Result r = Footprint.measure(dir.resolve("vm"), Duration.ofSeconds(1), new AgentJvm(java, List.of()),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertThat(r.line()).contains("on " + java);
    assertThat(Files.readString(dir.resolve("vm/agent.log"))).contains("offering 1 slot(s)").doesNotContain("Exception");
  }

  @Test
  void issue8_theLibraryFloorIsMeasuredThroughTheLauncher() throws Exception {
    List<Long> rss = Footprint.floor(dir, AgentJvm.LAUNCHERS);

    assertThat(rss).hasSize(LibraryFloor.STEPS.size());
    assertThat(rss.get(0)).isBetween(10_000_000L, 200_000_000L);
    // Each library adds classes; Smack's set-up on top of all the others cannot leave less than a bare JVM.
    assertThat(rss.get(rss.size() - 1)).isGreaterThan(rss.get(0) + 5_000_000L);
    assertThat(Footprint.floorLine(rss)).startsWith("footprint: floor").contains("+ Smack");
  }
}
