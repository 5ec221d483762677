package org.cernvm.copilot.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.time.Scheduler;

/**
 * One job's payload as a real OS process: its working directory, staged inputs, the process itself
 * (started under {@code setsid} so that its whole tree can be found and killed), CPU and memory
 * measurement, and its outputs.
 *
 * <p>The payload runs inside a small {@code sh} wrapper that records the CPU time of everything it
 * waited for with the {@code times} builtin, so that the final CPU time is exact even for payloads that
 * end between two samples.
 */
final class Payload {
  private static final String WRAPPER = "\"$@\"; rc=$?; times > .copilot-times 2>/dev/null; exit $rc";
  private static final Pattern TIMES = Pattern.compile("(\\d+)m([\\d.]+)s");

  private final JobSpec spec;
  private final Path dir;
  private final Scheduler scheduler;
  private Instant started;
  private Process process;
  private volatile double cpuSeconds;
  private volatile long rssKb;
  private volatile long peakRssKb;
  private Scheduler.Cancellable sampler;

  Payload(JobSpec spec, Path dir, Scheduler scheduler) {
    this.spec = spec;
    this.dir = dir;
    this.scheduler = scheduler;
  }

  Path directory() {
    return dir;
  }

  /** Creates the working directory and fetches and checks every input file into it ({@link StageIn}). */
  void stageInputs(StageIn stageIn) throws StageIn.StageInException, InterruptedException {
    stageIn.fetch(spec.inputs(), dir);
  }

  /** Starts the process; the future completes with its exit code when it ends. */
  CompletableFuture<Integer> start(Map<String, String> extraEnv, Duration sampleInterval) throws IOException {
    Files.createDirectories(dir);
    List<String> cmd = new ArrayList<>(List.of("setsid", "sh", "-c", WRAPPER, "copilot-payload", spec.command()));
    cmd.addAll(spec.args());
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(dir.resolve("stdout.txt").toFile())
            .redirectError(dir.resolve("stderr.txt").toFile());
    pb.environment().putAll(spec.env());
    pb.environment().putAll(extraEnv);
    started = scheduler.clock().instant();
    process = pb.start();
    sampler = scheduler.every(sampleInterval, this::sample);
    return process.onExit().thenApply(p -> {
      sampler.cancel();
      cpuSeconds = Math.max(cpuSeconds, timesFromWrapper());
      rssKb = 0;
      return p.exitValue();
    });
  }

  /** Measures the process tree now. */
  void sample() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    ProcessTree.Sample s = ProcessTree.sample(p.pid());
    cpuSeconds = Math.max(cpuSeconds, s.cpuSeconds());
    rssKb = s.rssKb();
    peakRssKb = Math.max(peakRssKb, s.rssKb());
  }

  /** Resources used so far. */
  Usage usage() {
    Duration wall = started == null ? Duration.ZERO : Duration.between(started, scheduler.clock().instant());
    return new Usage(wall.isNegative() ? Duration.ZERO : wall, cpuSeconds, rssKb / 1024, peakRssKb / 1024);
  }

  /** Sends SIGTERM ({@code force == false}) or SIGKILL to every process of the payload. */
  void signal(boolean force) {
    Process p = process;
    if (p != null) {
      ProcessTree.signal(p.pid(), force);
    }
  }

  /** The expected outputs that exist, with size and checksums. */
  List<OutputFile> outputs() throws IOException {
    List<OutputFile> found = new ArrayList<>();
    for (String name : spec.outputs()) {
      Path f = dir.resolve(name);
      if (Files.isRegularFile(f)) {
        found.add(Checksums.of(f));
      }
    }
    return found;
  }

  /** The expected outputs that do not exist. */
  List<String> missingOutputs() {
    return spec.outputs().stream().filter(n -> !Files.isRegularFile(dir.resolve(n))).toList();
  }

  private double timesFromWrapper() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve(".copilot-times"));
      if (lines.size() < 2) {
        return 0;
      }
      double total = 0;
      Matcher m = TIMES.matcher(lines.get(1));
      while (m.find()) {
        total += Long.parseLong(m.group(1)) * 60 + Double.parseDouble(m.group(2));
      }
      return total;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
