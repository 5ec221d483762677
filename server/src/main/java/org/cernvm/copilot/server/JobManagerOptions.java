package org.cernvm.copilot.server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.cernvm.copilot.protocol.config.Settings;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of a {@code job-manager} command: the configuration, and shorthands for two of its keys. */
public final class JobManagerOptions {
  @Mixin ConfigOptions config;

  @Option(names = "--queue-dir", paramLabel = "DIR", description = "the generic queue's directory (job-manager.queue-dir)")
  Path queueDir;

  @Option(names = "--source", paramLabel = "NAME", description = "the job source (job-manager.source): generic, "
      + "panda (panda.* keys), alien (alien.* keys), or any other provider on the class path; default generic")
  String source;

  /** The layered settings with these options' values above the file and the environment. */
  public Settings settings() {
    Map<String, String> options = new HashMap<>();
    if (queueDir != null) {
      options.put("job-manager.queue-dir", queueDir.toString());
    }
    if (source != null) {
      options.put(JobManagerRole.SOURCE_KEY, source);
    }
    return config.settings(options);
  }
}
