package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Durations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.cernvm.copilot.protocol.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copilot chaos}: ATLAS jobs through CoPilot while its components are killed and restarted. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Run ATLAS evgen jobs from a fake PanDA server while agents, job managers, the storage adapter "
        + "and the embedded XMPP server are killed and restarted at random (with --processes: agents, job managers "
        + "and the storage adapter as processes of their own on Prosody or ejabberd, killed with SIGKILL); end with "
        + "'chaos: J jobs, 0 lost, 0 duplicated'.")
final class ChaosCommand implements Callable<Integer> {
  @Option(names = "--jobs", defaultValue = "200", description = "number of jobs (default ${DEFAULT-VALUE})")
  int jobs;

  @Option(names = "--events", defaultValue = "1000", description = "events per job (default ${DEFAULT-VALUE})")
  int events;

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

  @Option(names = "--processes", description = "run the key manager, the storage adapter, the job managers and the "
      + "agents each as a process of its own (copilot key-manager serve, storage-adapter, job-manager, agent) on "
      + "the XMPP server of scripts/prosody-up (or ejabberd-up), and kill them with SIGKILL; their logs go to "
      + "WORK-DIR/logs")
  boolean processes;

  @Option(names = "--xmpp-host", paramLabel = "HOST", description = "with --processes: the XMPP server's address "
      + "(default 127.0.0.1)")
  String xmppHost;

  @Option(names = "--xmpp-port", paramLabel = "PORT", description = "with --processes: its client port "
      + "(default 15222)")
  Integer xmppPort;

  @Option(names = "--xmpp-dir", paramLabel = "DIR", description = "with --processes: the directory "
      + "scripts/prosody-up (or ejabberd-up) left, with the key manager's CA (ca/) and its passphrase "
      + "(ca.passphrase) (default $TMPDIR/copilot-prosody-PORT)")
  Path xmppDir;

  @Override
  public Integer call() throws Exception {
    if (jobs < 1 || events < 1 || agents < 1 || jobManagers < 1) {
      throw new ConfigException("--jobs, --events, --agents and --job-managers must be at least 1");
    }
    if (!processes && (xmppHost != null || xmppPort != null || xmppDir != null)) {
      throw new ConfigException("--xmpp-host, --xmpp-port and --xmpp-dir need --processes");
    }
    Chaos.Options options = new Chaos.Options(jobs, events, duration, agents, jobManagers, interval, settle,
        seed != null ? seed : System.nanoTime(),
        workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("copilot-chaos-"),
        processes ? xmppServer() : null);
    if (!verbose) {
      // Under chaos every component warns about the faults it rides out; errors are what matter here.
      DemoCommand.quiet(ch.qos.logback.classic.Level.ERROR);
      // The embedded server logs each session a restart cut off as an error of its own.
      if (org.slf4j.LoggerFactory.getLogger("org.apache.vysper") instanceof ch.qos.logback.classic.Logger vysper) {
        vysper.setLevel(ch.qos.logback.classic.Level.OFF);
      }
    }
    Chaos.Result result = new Chaos(options, System.out, Clock.systemUTC()).run();
    System.out.println(result.closingLine());
    return result.clean() ? 0 : 1;
  }

  /** The XMPP server of the options, its directory where {@code scripts/prosody-up} puts it by default. */
  private Chaos.XmppServer xmppServer() {
    int port = xmppPort != null ? xmppPort : 15222;
    Path dir = xmppDir != null ? xmppDir
        : Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp"), "copilot-prosody-" + port);
    if (!Files.isRegularFile(dir.resolve("ca").resolve("ca.pem"))
        || !Files.isRegularFile(dir.resolve("ca.passphrase"))) {
      throw new ConfigException("no key-manager CA and passphrase in " + dir + " (ca/ca.pem, ca.passphrase): start "
          + "Prosody with scripts/prosody-up, or name the XMPP server's directory with --xmpp-dir");
    }
    return new Chaos.XmppServer(xmppHost != null ? xmppHost : "127.0.0.1", port, dir);
  }
}
