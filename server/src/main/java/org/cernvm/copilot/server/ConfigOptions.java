package org.cernvm.copilot.server;

import java.nio.file.Path;
import java.time.Clock;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cernvm.copilot.protocol.config.Settings;
import picocli.CommandLine.Option;

/** The options every role command shares: a config file and {@code --set key=value} overrides. */
public final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "properties file (then COPILOT_* environment, then --set)")
  Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "set a configuration key, e.g. --set xmpp.port=15222")
  Map<String, String> values = new LinkedHashMap<>();

  /**
   * Opens the generic queue named by {@code queueDir}, or by {@code job-manager.queue-dir}, or in PostgreSQL
   * by {@code job-manager.queue-url}; the caller closes it.
   */
  public JobQueue openQueue(Path queueDir) throws UpstreamUnavailableException {
    Settings s = settings(queueDir == null ? Map.of() : Map.of("job-manager.queue-dir", queueDir.toString()));
    JobManagerConfig cfg = JobManagerConfig.from(s, s.string("xmpp.domain", "copilot.local"));
    return JobQueue.open(JobQueue.Location.from(s, cfg.queueDir()), Clock.systemUTC(), cfg.maxAttempts());
  }

  /** The layered settings, with {@code defaults} under the command line's own values. */
  public Settings settings(Map<String, String> fromOptions) {
    Map<String, String> cli = new LinkedHashMap<>(fromOptions);
    cli.putAll(values);
    return Settings.layered(file, System.getenv(), cli);
  }
}
