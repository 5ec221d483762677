package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.ConfigOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code copilot status}: the generic queue's jobs and their states. */
@Command(name = "status", description = "Lists the generic queue's jobs by state, or one job's history with --job.")
final class StatusCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--queue-dir", paramLabel = "DIR", description = "the generic queue's directory (job-manager.queue-dir)")
  Path queueDir;

  @Option(names = "--job", paramLabel = "ID", description = "show one job in full")
  String jobId;

  @Override
  public Integer call() throws Exception {
    try (JobQueue queue = config.openQueue(queueDir)) {
      return show(queue);
    }
  }

  private int show(JobQueue queue) throws Exception {
    if (jobId != null) {
      Optional<QueuedJob> job = queue.get(jobId);
      if (job.isEmpty()) {
        System.err.println("copilot: no job " + jobId + " in " + queue.where());
        return 1;
      }
      printJob(job.get());
      return 0;
    }
    List<QueuedJob> jobs = queue.list();
    System.out.printf("%-8s %-7s %5s %-20s %5s  %s%n", "JOB", "STATE", "EPOCH", "AGENT", "EXIT", "COMMAND / DIAGNOSTIC");
    for (QueuedJob j : jobs) {
      String what = j.diagnostic().isEmpty() ? j.spec().command() + " " + String.join(" ", j.spec().args()) : j.diagnostic();
      System.out.printf("%-8s %-7s %5d %-20s %5s  %s%n", j.jobId(), j.status(), j.epoch(),
          j.agentId() == null ? "-" : j.agentId(), j.status().isTerminal() ? Integer.toString(j.exitCode()) : "-",
          what.length() > 60 ? what.substring(0, 57) + "..." : what);
    }
    Map<JobStatus, Long> counts = jobs.stream().collect(Collectors.groupingBy(QueuedJob::status, Collectors.counting()));
    System.out.println(jobs.size() + " jobs: " + java.util.Arrays.stream(JobStatus.values())
        .map(st -> counts.getOrDefault(st, 0L) + " " + st.name().toLowerCase(java.util.Locale.ROOT))
        .collect(Collectors.joining(", ")));
    return 0;
  }

  private static void printJob(QueuedJob j) {
    System.out.println("job:       " + j.jobId());
    System.out.println("state:     " + j.status() + " (epoch " + j.epoch() + ")");
    System.out.println("command:   " + j.spec().command() + " " + String.join(" ", j.spec().args()));
    System.out.println("agent:     " + (j.agentId() == null ? "-" : j.agentId()));
    if (j.status().isTerminal()) {
      System.out.println("outcome:   " + j.outcome() + ", exit " + j.exitCode()
          + (j.diagnostic().isEmpty() ? "" : ": " + j.diagnostic()));
    }
    System.out.printf("usage:     %.2f s CPU, %d MiB peak RSS, %s wall%n", j.usage().cpuSeconds(), j.usage().peakRssMb(),
        j.usage().wallTime());
    j.outputs().forEach(o -> System.out.println("output:    " + o.name() + " " + o.sizeBytes() + " bytes adler32 "
        + o.adler32() + " md5 " + o.md5()));
    j.stored().forEach(f -> System.out.println("stored:    " + f.file().name() + " at " + f.location()));
    System.out.println("history:");
    j.history().forEach(h -> System.out.println("  " + h));
  }
}
