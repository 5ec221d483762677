package org.cernvm.copilot.testbed;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copilot demo}: the whole system on one machine with no server to install. */
@Command(name = "demo", description = "Runs a key manager, an embedded XMPP server, a job manager, a storage "
    + "adapter, N agents and M real jobs whose outputs are uploaded and verified, all enrolled and signing every "
    + "message, while a built-in attacker tries to get in; ends with 'demo: M passed, 0 failed', 'storage: M files "
    + "verified, 1 rejected' (the attacker's upload) and 'security: R rejected attempts, 0 accepted'.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--agents", defaultValue = "4", description = "number of agents (default ${DEFAULT-VALUE})")
  int agents;

  @Option(names = "--jobs", defaultValue = "20", description = "number of jobs (default ${DEFAULT-VALUE})")
  int jobs;

  @Option(names = "--timeout", defaultValue = "5m", description = "give up after this long (default ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--dispatch", defaultValue = "handshake", description = "handshake or direct (default ${DEFAULT-VALUE})")
  String dispatch;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "where the queue and job directories go (default: a new temp dir)")
  Path workDir;

  @Option(names = "--panda", description = "run ATLAS evgen jobs from a fake PanDA server through the PanDA adapter "
      + "instead of generic jobs; ends with 'evgen: M finished, 0 failed'")
  boolean panda;

  @Option(names = "--alien", description = "run ALICE production jobs from fake AliEn central services through the "
      + "AliEn adapter; ends with 'alien: M done, 0 failed'")
  boolean alien;

  @Option(names = "--verbose", description = "show INFO logs of every component")
  boolean verbose;

  /** Shows only warnings from the components, unless {@code COPILOT_LOG_LEVEL} says otherwise. */
  static void quiet() {
    quiet(Level.WARN);
  }

  /** Shows only messages of {@code level} and above, unless {@code COPILOT_LOG_LEVEL} says otherwise. */
  static void quiet(Level level) {
    if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root
        && System.getenv("COPILOT_LOG_LEVEL") == null) {
      root.setLevel(level);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (panda && alien) {
      throw new ConfigException("choose --panda or --alien, not both");
    }
    if (agents < 1 || jobs < 1) {
      throw new ConfigException("--agents and --jobs must be at least 1");
    }
    JobManagerConfig.Dispatch mode =
        Settings.of(java.util.Map.of("dispatch", dispatch)).choice("dispatch", JobManagerConfig.Dispatch.class, null);
    if (!verbose) {
      quiet();
    }
    Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("copilot-demo-");
    Demo.Result result =
        new Demo(agents, jobs, timeout, mode, dir, System.out,
            panda ? Demo.Kind.EVGEN : alien ? Demo.Kind.ALIEN : Demo.Kind.GENERIC).run();
    System.out.println(result.closingLine());
    System.out.println("storage: " + result.storage().verified() + " files verified, " + result.storage().rejected()
        + " rejected");
    System.out.println(result.securityLine());
    return result.failed() == 0 && result.security().accepted().isEmpty() ? 0 : 1;
  }
}
