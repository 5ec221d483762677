package org.cernvm.copilot.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copilot footprint}: the agent's start-up time and idle memory, as in a small VM. */
@Command(name = "footprint", description = "Starts the agent-only artifact through its launcher (a JVM tuned for "
    + "small VMs), its user-data served by a fake EC2 metadata service; prints the time to its first want_getJob "
    + "and its idle resident memory. Exit 1 if either misses its goal (2 s, 64 MB).")
final class FootprintCommand implements Callable<Integer> {
  @Option(names = "--idle", defaultValue = "20s", description = "how long the agent idles before its memory is "
      + "read (default ${DEFAULT-VALUE})")
  Duration idle;

  @Option(names = "--jvm", description = "the agent's JVM options, space-separated (default: its launcher's)")
  String jvm;

  @Option(names = "--java", paramLabel = "JAVA", description = "the java that runs the agent, e.g. a runtime made by "
      + "agent-dist/src/dist/make-runtime (default: its launcher's choice)")
  Path java;

  @Option(names = "--floor", description = "also measure the floor under the idle memory: JVMs started by the "
      + "launcher that set up only the libraries every agent needs (TLS, Bouncy Castle, Jackson, Smack)")
  boolean floor;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "where the CA, the queue and agent.log go")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    DemoCommand.quiet();
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("copilot-footprint-");
    AgentJvm agentJvm = new AgentJvm(java == null ? null : java.toAbsolutePath(),
        jvm == null ? List.of() : List.of(jvm.trim().split("\\s+")));
    Footprint.Result r = Footprint.measure(dir, idle, agentJvm, System.out);
    System.out.println(r.line());
    if (floor) {
      System.out.println(Footprint.floorLine(Footprint.floor(dir, agentJvm)));
    }
    return r.withinGoals() ? 0 : 1;
  }
}
