package org.cernvm.copilot.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.cernvm.copilot.protocol.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copilot chaos}: ATLAS jobs through CoPilot while its components are killed and restarted. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Run ATLAS evgen jobs from a fake PanDA server while agents, job managers, the storage adapter "
        + "and the embedded XMPP server are killed and restarted at random; end with "
        + "'chaos: J jobs, 0 lost, 0 duplicated'.")
final class ChaosCommand implements Callable<Integer> {
  @Option(names = "--jobs", defaultValue = "200", description = "number of jobs (default ${DEFAULT-VALUE})")
  int jobs;

  @Option(names = "--duration", defaultValue = "2m", converter = Durations.Positive.class,
      description = "how long faults are injected (default ${DEFAULT-VALUE})")
  Duration duration;

  @Option(names = "--agents", defaultValue = "4", description = "agents running at a time (default ${DEFAULT-VALUE})")
  int agents;

  @Option(names = "--job-managers", defaultValue = "2", description = "job managers (default ${DEFAULT-VALUE})")
  int jobManagers;

  @Option(names = "--interval", defaultValue = "3s", converter = Durations.Positive.class,
      description = "mean time between faults (default ${DEFAULT-VALUE})")
  Duration interval;

  @Option(names = "--settle", defaultValue = "3m", converter = Durations.Positive.class,
      description = "how long to wait after the faults for every job to end (default ${DEFAULT-VALUE})")
  Duration settle;

  @Option(names = "--seed", description = "seed of the fault schedule (default: random)")
  Long seed;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "where everything is kept (default: a new temp dir)")
  Path workDir;

  @Option(names = "--verbose", description = "show INFO logs of every component (default: errors only)")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    if (jobs < 1 || agents < 1 || jobManagers < 1) {
      throw new ConfigException("--jobs, --agents and --job-managers must be at least 1");
    }
    Chaos.Options options = new Chaos.Options(jobs, duration, agents, jobManagers, interval, settle,
        seed != null ? seed : System.nanoTime(),
        workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("copilot-chaos-"));
    if (!verbose) {
      // Under chaos every component warns about the faults it rides out; errors are what matter here.
      DemoCommand.quiet(ch.qos.logback.classic.Level.ERROR);
      // The embedded server logs each session a restart cut off as an error of its own.
      if (org.slf4j.LoggerFactory.getLogger("org.apache.vysper") instanceof ch.qos.logback.classic.Logger vysper) {
        vysper.setLevel(ch.qos.logback.classic.Level.OFF);
      }
    }
    Chaos.Result result = new Chaos(options, System.out).run();
    System.out.println(result.closingLine());
    return result.lost().isEmpty() && result.duplicated().isEmpty() ? 0 : 1;
  }
}
