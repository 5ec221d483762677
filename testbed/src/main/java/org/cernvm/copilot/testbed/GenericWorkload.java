package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.StoredFile;

/**
 * The demo's generic jobs: each sums the integers 1..n with {@code seq} and {@code awk} into
 * {@code sum.txt}; a job passes when it ended DONE and its registered output, re-read from the storage
 * backend, holds the right sum and matches the size, adler32 and md5 the agent reported.
 */
final class GenericWorkload implements Workload {
  private static final String SUM_SCRIPT = "seq 1 \"$1\" | awk '{ s += $1 } END { print s }' > sum.txt";

  private final GenericQueue queue;
  private final Map<String, Long> expected = new LinkedHashMap<>();

  GenericWorkload(Path workDir, int jobs, Clock clock) throws Exception {
    queue = JobSource.generic(workDir.resolve("queue"), clock, 3);
    for (int i = 1; i <= jobs; i++) {
      long n = 1000L * i;
      String id = queue.submit(NewJob.of("sh", "-c", SUM_SCRIPT, "sum", Long.toString(n)).withOutputs("sum.txt")
          .withTtl(Duration.ofMinutes(5)));
      expected.put(id, n * (n + 1) / 2);
    }
  }

  @Override
  public String describe() {
    return expected.size() + " generic jobs";
  }

  @Override
  public int jobCount() {
    return expected.size();
  }

  @Override
  public JobSource source() {
    return queue;
  }

  @Override
  public Progress progress() throws Exception {
    Map<JobStatus, Integer> counts = queue.counts();
    int ended = counts.get(JobStatus.DONE) + counts.get(JobStatus.FAILED) + counts.get(JobStatus.KILLED);
    String line = String.format("demo: %d/%d jobs ended (%d done, %d failed), %d running, %d queued", ended,
        expected.size(), counts.get(JobStatus.DONE), counts.get(JobStatus.FAILED) + counts.get(JobStatus.KILLED),
        counts.get(JobStatus.LEASED), counts.get(JobStatus.QUEUED));
    return new Progress(line, ended == expected.size(), expected.size() - ended);
  }

  @Override
  public int verify(PrintStream out) throws Exception {
    int passed = 0;
    for (QueuedJob job : queue.list()) {
      String problem = problem(job, expected.get(job.jobId()));
      if (problem == null) {
        passed++;
      } else {
        out.println("demo: " + job.jobId() + " FAILED: " + problem);
      }
    }
    return passed;
  }

  private static String problem(QueuedJob job, long expectedSum) throws IOException {
    if (job.status() != JobStatus.DONE) {
      return "ended " + job.status() + (job.diagnostic().isEmpty() ? "" : ": " + job.diagnostic());
    }
    StoredFile stored = job.stored().stream().filter(f -> f.file().name().equals("sum.txt")).findFirst().orElse(null);
    if (stored == null) {
      return "sum.txt was not registered";
    }
    Path file = Path.of(URI.create(stored.location()));
    if (!Files.isRegularFile(file)) {
      return "stored output " + file + " is missing";
    }
    String content = Files.readString(file, StandardCharsets.US_ASCII).trim();
    if (!content.equals(Long.toString(expectedSum))) {
      return "sum.txt holds " + content + ", expected " + expectedSum;
    }
    OutputFile actual = Checksums.of(file);
    if (!stored.file().equals(actual) || !job.outputs().contains(actual)) {
      return "the stored file " + actual + " does not match what was reported " + job.outputs() + " and registered "
          + stored.file();
    }
    return null;
  }

  @Override
  public String closingLine(int passed, int failed) {
    return "demo: " + passed + " passed, " + failed + " failed";
  }

  @Override
  public void close() {}
}
