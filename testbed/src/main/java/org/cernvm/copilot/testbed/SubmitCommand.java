package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.ConfigOptions;
import org.cernvm.copilot.server.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.InputFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code copilot submit}: adds a job to the generic queue (its directory, or PostgreSQL) and prints its id. */
@Command(name = "submit", description = "Submits a generic job and prints its id: copilot submit [OPTIONS] -- CMD [ARGS...]")
final class SubmitCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--queue-dir", paramLabel = "DIR", description = "the generic queue's directory (job-manager.queue-dir)")
  Path queueDir;

  @Option(names = "--ttl", defaultValue = "1h", converter = Durations.Positive.class, description = "wall-clock limit, e.g. 30m (default ${DEFAULT-VALUE})")
  Duration ttl;

  @Option(names = "--cores", defaultValue = "1", description = "cores the job needs (default ${DEFAULT-VALUE})")
  int cores;

  @Option(names = "--output", paramLabel = "NAME", description = "a file the job must leave in its working directory")
  List<String> outputs = new ArrayList<>();

  @Option(names = "--input", paramLabel = "NAME=URI", description = "a file:, http: or https: input staged as NAME")
  Map<String, String> inputs = new LinkedHashMap<>();

  @Option(names = "--env", paramLabel = "KEY=VALUE", description = "an environment variable for the payload")
  Map<String, String> env = new LinkedHashMap<>();

  @Parameters(arity = "1..*", paramLabel = "CMD", description = "the command and its arguments")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    List<InputFile> in = inputs.entrySet().stream().map(e -> new InputFile(e.getKey(), e.getValue())).toList();
    NewJob job = new NewJob(command.get(0), command.subList(1, command.size()), env, in, outputs, ttl, cores);
    try (JobQueue queue = config.openQueue(queueDir)) {
      System.out.println(queue.submit(job));
    }
    return 0;
  }
}
