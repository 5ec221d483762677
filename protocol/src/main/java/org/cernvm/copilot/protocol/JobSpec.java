package org.cernvm.copilot.protocol;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A job as the agent runs it.
 *
 * @param jobId the job's id, unique within its source
 * @param source the job source that issued it ({@code generic}, {@code panda}, {@code alien})
 * @param experiment the experiment the job belongs to
 * @param command the executable
 * @param args its arguments
 * @param env extra environment variables
 * @param inputs files staged into the working directory before the payload starts
 * @param outputs names of the files the payload must leave in its working directory
 * @param log the log tarball the agent makes of the job and stores beside the outputs; a job the generic
 *     queue kept on disk before logs were made names none and gets {@link JobLog#of}
 * @param ttl wall-clock limit; the agent kills the payload when it is exceeded
 * @param cores cores the payload may use
 */
public record JobSpec(
    String jobId,
    String source,
    String experiment,
    String command,
    List<String> args,
    Map<String, String> env,
    List<InputFile> inputs,
    List<String> outputs,
    JobLog log,
    Duration ttl,
    int cores) {
  public JobSpec {
    Checks.id(jobId, "jobId");
    Checks.id(source, "source");
    Checks.text(experiment, "experiment");
    Checks.text(command, "command");
    args = Checks.list(args, "args");
    env = Checks.map(env, "env");
    inputs = Checks.list(inputs, "inputs");
    outputs = Checks.list(outputs, "outputs");
    outputs.forEach(o -> FileNames.check(o, "outputs"));
    log = log == null ? JobLog.of(jobId) : log;
    String logFile = log.file();
    if (outputs.contains(logFile) || inputs.stream().anyMatch(i -> i.name().equals(logFile))) {
      throw new IllegalArgumentException("field 'log' names a file that is also an input or an output");
    }
    Checks.notNegative(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("field 'ttl' must be positive: " + ttl);
    }
    Checks.positive(cores, "cores");
  }
}
