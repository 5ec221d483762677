package org.cernvm.copilot.server;

import java.time.Duration;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code copilot-server} command line: the job manager, storage adapter and key manager roles that a
 * site deploys, and the key manager's operator commands.
 */
@Command(
    name = "copilot-server",
    mixinStandardHelpOptions = true,
    description = "CoPilot's server roles: job-manager, storage-adapter, key-manager, and the monitor.",
    subcommands = {JobManagerCommand.class, StorageAdapterCommand.class, KeyManagerCommand.class,
        MonitorCommand.class})
public final class CopilotServer implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs the command line and exits with the command's status. */
  public static void main(String[] args) {
    logThroughSlf4j();
    System.exit(commandLine(new CopilotServer()).execute(args));
  }

  /** Sends what logs through {@code java.util.logging} (Smack does) to the same place as everything else. */
  public static void logThroughSlf4j() {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
  }

  /**
   * A command line over {@code root} as every CoPilot command line is set up: durations as in the
   * configuration, and a bad argument or setting answered with its message and status 2.
   */
  public static CommandLine commandLine(Object root) {
    return new CommandLine(root)
        .registerConverter(Duration.class, new Durations.Any())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof IllegalArgumentException) {
            cmd.getErr().println(cmd.getCommandSpec().root().name() + " " + cmd.getCommandName() + ": "
                + e.getMessage());
            return 2;
          }
          throw e;
        });
  }
}
