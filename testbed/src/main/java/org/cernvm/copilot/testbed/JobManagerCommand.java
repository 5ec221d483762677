package org.cernvm.copilot.testbed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.server.JobManagerOptions;
import org.cernvm.copilot.server.JobManagerRole;
import org.cernvm.copilot.server.Services;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code copilot job-manager}: the server's job manager role, with what load runs add: a simulated upstream
 * with a latency per call, and the prefetch's and upstream's figures written to a file every second.
 */
@Command(name = "job-manager", description = "Runs a job manager serving the generic queue (or, with --source panda "
    + "or alien, a PanDA queue or an AliEn site) until stopped (SIGTERM).")
final class JobManagerCommand implements Callable<Integer> {
  @Mixin JobManagerOptions options;

  @Option(names = "--upstream-latency", paramLabel = "DURATION", description = "testbed: simulate an upstream server "
      + "that answers each call after this long (for load runs)")
  Duration upstreamLatency;

  @Option(names = "--upstream-jobs-per-call", defaultValue = "100", description = "testbed: the most jobs one call to "
      + "the simulated upstream claims or reports (default ${DEFAULT-VALUE})")
  int upstreamJobsPerCall;

  @Option(names = "--upstream-concurrency", defaultValue = "16", description = "testbed: the most calls the simulated "
      + "upstream takes at once from this job manager (default ${DEFAULT-VALUE})")
  int upstreamConcurrency;

  @Option(names = "--stats-file", paramLabel = "FILE", description = "testbed: write the prefetch depth and upstream "
      + "calls here every second (for load runs)")
  Path statsFile;

  @Override
  public Integer call() throws Exception {
    if (upstreamJobsPerCall < 1 || upstreamConcurrency < 1) {
      throw new ConfigException("--upstream-jobs-per-call and --upstream-concurrency must be positive");
    }
    JobManagerRole.run(options.settings(), new JobManagerRole.Hooks() {
      private SimulatedUpstream simulated;

      @Override
      public JobSource wrap(JobSource source) {
        if (upstreamLatency == null) {
          return source;
        }
        simulated = new SimulatedUpstream(source, upstreamLatency, upstreamJobsPerCall, upstreamConcurrency);
        return simulated;
      }

      @Override
      public void started(JobManager jobManager, Services services) {
        if (statsFile != null) {
          services.scheduler.every(Duration.ofSeconds(1), () -> LoadStats.write(statsFile, jobManager, simulated));
        }
      }

      @Override
      public void stopped(JobManager jobManager) {
        if (statsFile != null) {
          LoadStats.write(statsFile, jobManager, simulated);
        }
      }
    });
    return 0;
  }
}
