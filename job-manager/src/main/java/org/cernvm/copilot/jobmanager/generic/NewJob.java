package org.cernvm.copilot.jobmanager.generic;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.protocol.InputFile;
import org.cernvm.copilot.protocol.JobLog;
import org.cernvm.copilot.protocol.JobSpec;

/**
 * A job submitted to the generic queue; the queue assigns its id.
 *
 * @param command the executable
 * @param args its arguments
 * @param env extra environment variables
 * @param inputs files to stage before the payload starts
 * @param outputs files the payload must leave behind
 * @param ttl wall-clock limit
 * @param cores cores it needs
 */
public record NewJob(
    String command,
    List<String> args,
    Map<String, String> env,
    List<InputFile> inputs,
    List<String> outputs,
    Duration ttl,
    int cores) {

  /** A job that runs {@code command} with {@code args}, one core, a one-hour TTL, no files. */
  public static NewJob of(String command, String... args) {
    return new NewJob(command, List.of(args), Map.of(), List.of(), List.of(), Duration.ofHours(1), 1);
  }

  /** This job, expecting the given output files. */
  public NewJob withOutputs(String... names) {
    return new NewJob(command, args, env, inputs, List.of(names), ttl, cores);
  }

  /** This job, staging the given input files first. */
  public NewJob withInputs(InputFile... files) {
    return new NewJob(command, args, env, List.of(files), outputs, ttl, cores);
  }

  /** This job with another TTL. */
  public NewJob withTtl(Duration newTtl) {
    return new NewJob(command, args, env, inputs, outputs, newTtl, cores);
  }

  /** The job spec under the id the queue assigned; validates every field. */
  JobSpec toSpec(String jobId) {
    return new JobSpec(jobId, "generic", "generic", command, args, env, inputs, outputs, JobLog.of(jobId), ttl, cores);
  }
}
