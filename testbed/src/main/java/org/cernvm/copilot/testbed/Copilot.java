package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.CopilotServer;
import org.cernvm.copilot.server.StorageAdapterCommand;
import org.cernvm.copilot.server.KeyManagerCommand;
import org.cernvm.copilot.server.MonitorCommand;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code copilot} command line: the demo, each role as its own process, and operator commands. */
@Command(
    name = "copilot",
    mixinStandardHelpOptions = true,
    description = "CoPilot: runs grid jobs on VMs that hold no grid credentials.",
    subcommands = {
      DemoCommand.class,
      LoadCommand.class,
      QueueBenchCommand.class,
      ChaosCommand.class,
      FootprintCommand.class,
      JobManagerCommand.class,
      AgentCommand.class,
      StorageAdapterCommand.class,
      PandaCommands.Serve.class,
      PandaCommands.SubmitEvgen.class,
      PandaCommands.SubmitDerivation.class,
      PandaCommands.Status.class,
      PandaCommands.InstallTransforms.class,
      AlienCommands.Serve.class,
      AlienCommands.Submit.class,
      AlienCommands.Status.class,
      AlienCommands.Register.class,
      KeyManagerCommand.class,
      MonitorCommand.class,
      SubmitCommand.class,
      StatusCommand.class,
      OperatorCommands.Kill.class,
      OperatorCommands.Drain.class
    })
public final class Copilot implements Runnable {
  /**
   * The environment variable by which a run that starts {@code copilot} commands as its children (the
   * chaos run) names itself: such a child halts as soon as that process is gone, so that it does not
   * outlive a run killed with no chance to stop it.
   */
  static final String PARENT_PID_ENV = "COPILOT_PARENT_PID";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs the command line and exits with the command's status. */
  public static void main(String[] args) {
    CopilotServer.logThroughSlf4j();
    String parent = System.getenv(PARENT_PID_ENV);
    if (parent != null) {
      haltWith(Long.parseLong(parent));
    }
    System.exit(run(args));
  }

  private static void haltWith(long parent) {
    Optional<ProcessHandle> p = ProcessHandle.of(parent);
    // As SIGKILL would, payloads and all: the run that started this process is gone, and whatever it
    // wanted of it with it.
    p.map(ProcessHandle::onExit).orElse(CompletableFuture.completedFuture(null)).thenRun(() -> {
      ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
      Runtime.getRuntime().halt(137);
    });
  }

  /** Runs the command line and returns the exit status. */
  public static int run(String... args) {
    return CopilotServer.commandLine(new Copilot()).execute(args);
  }
}
