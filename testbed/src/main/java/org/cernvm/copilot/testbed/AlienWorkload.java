package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.cernvm.copilot.alien.AlienConfig;
import org.cernvm.copilot.alien.AlienJobSource;
import org.cernvm.copilot.alien.JobStatus;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.testbed.alien.Catalogue;
import org.cernvm.copilot.testbed.alien.FakeAlien;
import org.cernvm.copilot.testbed.alien.TaskQueue;

/**
 * The demo's ALICE jobs: a split production JDL submitted to the fake AliEn central services, taken by
 * the AliEn adapter. Each subjob stages its executable and an input file from the catalogue, writes
 * {@code result.txt} and {@code histo_N.dat} files, passes its validation command, and leaves
 * {@code result.txt} and the archive {@code histos.zip}; both end up registered in the catalogue under the
 * subjob's OutputDir. A job passes when it is DONE and both registered files, re-read from their replica,
 * match the catalogue's size and md5 and hold what the job was asked to compute.
 */
public final class AlienWorkload implements Workload {
  public static final String DATA_LFN = "/alice/data/2026/LHC26a/000512345/events.txt";
  static final String EXE_LFN = "/alice/cern.ch/user/c/copilot/bin/histogram.sh";
  static final String VALIDATION_LFN = "/alice/validation/validate.sh";

  private static final String EXE = """
      #!/bin/sh
      # Usage: histogram.sh --uid N [--sleep S]: N histograms of the input events, scaled by N.
      uid=$2
      [ "$3" = "--sleep" ] && sleep "$4"
      n=$(wc -l < events.txt)
      echo "uid=$uid events=$n sum=$(awk -v k="$uid" '{ s += $1 * k } END { print s }' events.txt)" > result.txt
      i=1
      while [ $i -le "$uid" ]; do awk -v k=$i '{ print $1 * k }' events.txt > histo_$i.dat; i=$((i + 1)); done
      [ "$ALIEN_JDL_LPMRUNNUMBER" = "512345" ] || { echo "missing ALIEN_JDL_LPMRUNNUMBER" >&2; exit 3; }
      """;

  private static final String VALIDATION = """
      #!/bin/sh
      # Validation: result.txt must exist and say events=100.
      grep -q 'events=100 ' result.txt
      """;

  /** The production JDL: one subjob per counter value. */
  public static String productionJdl(int jobs, int sleepSeconds) {
    return """
        Executable = "%s";
        Arguments = "--uid #alien_counter#%s";
        InputData = { "LF:$1" };
        Split = "production:1-%d";
        OutputDir = "/alice/sim/2026/LHC26c1/512345/#alien_counter_03i#";
        Output = { "result.txt@disk=1", "histos.zip:histo_*.dat@disk=1" };
        ValidationCommand = "%s";
        TTL = 3600;
        JDLVariables = { "LPMRunNumber", "OutputDir" };
        LPMRunNumber = "512345";
        Requirements = other.TTL > 3600;
        """.formatted(EXE_LFN, sleepSeconds > 0 ? " --sleep " + sleepSeconds : "", jobs, VALIDATION_LFN);
  }

  private final FakeAlien alien;
  private final AlienJobSource source;
  private final String token;
  private final Clock clock;
  private final Path grid;
  private final int jobs;

  /** Starts fake AliEn services, fills the catalogue with the executable, validation and input, and submits. */
  public AlienWorkload(Path workDir, int jobs, Clock clock) throws Exception {
    this.jobs = jobs;
    String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    alien = FakeAlien.start(clock, Duration.ofMinutes(30), Duration.ofMinutes(30), token, token, 0);
    grid = Files.createDirectories(workDir.resolve("alien-se"));
    StringBuilder events = new StringBuilder();
    for (int i = 1; i <= 100; i++) {
      events.append(i).append('\n');
    }
    register(grid, DATA_LFN, events.toString());
    register(grid, EXE_LFN, EXE);
    register(grid, VALIDATION_LFN, VALIDATION);
    alien.queue().submit(productionJdl(jobs, 0), List.of(DATA_LFN), "copilot");
    this.token = token;
    this.clock = clock;
    source = openSource();
  }

  /** A new AliEn adapter for the fake services, as another job-manager process would open. */
  public AlienJobSource openSource() {
    return AlienJobSource.open(AlienConfig.from(Settings.of(Map.of(
        "alien.url", alien.url().toString(),
        "alien.agent-token", token,
        "alien.proc-interval", "5s",
        "alien.empty-pause", "1s"))), clock);
  }

  /** Writes a file into the fake input SE and registers it in the catalogue under {@code lfn}. */
  public void register(String lfn, String content) throws IOException {
    register(grid, lfn, content);
  }

  private void register(Path dir, String lfn, String content) throws IOException {
    Path file = dir.resolve(lfn.substring(1).replace('/', '_'));
    Files.writeString(file, content, StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    var o = Checksums.of(file);
    alien.catalogue().add(new Catalogue.Entry(lfn, java.util.UUID.nameUUIDFromBytes(lfn.getBytes()).toString(),
        o.sizeBytes(), o.md5(), 0, "ALICE::CERN::INPUT", file.toUri().toString()));
  }

  /** The fake services, for tests that submit more or kill. */
  public FakeAlien alien() {
    return alien;
  }

  @Override
  public String describe() {
    return jobs + " ALICE production subjobs from fake AliEn services at " + alien.url();
  }

  @Override
  public int jobCount() {
    return jobs;
  }

  @Override
  public JobSource source() {
    return source;
  }

  @Override
  public Progress progress() {
    List<TaskQueue.JobView> all = alien.queue().list();
    long done = all.stream().filter(j -> j.status() == JobStatus.DONE).count();
    long ended = all.stream().filter(j -> j.status().isFinal()).count();
    long waiting = all.stream().filter(j -> j.status() == JobStatus.WAITING).count();
    String line = String.format("alien: %d/%d AliEn jobs ended (%d done, %d failed), %d running, %d waiting", ended,
        all.size(), done, ended - done, all.size() - ended - waiting, waiting);
    return new Progress(line, ended == all.size(), (int) (all.size() - ended));
  }

  @Override
  public int verify(PrintStream out) throws Exception {
    int passed = 0;
    for (TaskQueue.JobView job : alien.queue().list()) {
      String problem = problem(job);
      if (problem == null) {
        passed++;
      } else {
        out.println("alien: job " + job.queueId() + " FAILED: " + problem);
      }
    }
    return passed;
  }

  /** What is wrong with a job that should be DONE, or {@code null}. */
  public String problem(TaskQueue.JobView job) throws IOException {
    if (job.status() != JobStatus.DONE) {
      return "ended " + job.status();
    }
    String uidTrace = job.trace().stream().filter(t -> t.contains("Job submitted")).findFirst().orElse("");
    List<Catalogue.Entry> files = alien.catalogue().list("/alice/sim/2026/LHC26c1/512345").stream()
        .filter(e -> e.jobId() == job.queueId()).toList();
    Optional<Catalogue.Entry> result = files.stream().filter(e -> e.lfn().endsWith("/result.txt")).findFirst();
    Optional<Catalogue.Entry> zip = files.stream().filter(e -> e.lfn().endsWith("/histos.zip")).findFirst();
    if (result.isEmpty() || zip.isEmpty()) {
      return "registered outputs " + files.stream().map(Catalogue.Entry::lfn).toList() + ", expected result.txt and histos.zip"
          + (uidTrace.isEmpty() ? "" : "");
    }
    for (Catalogue.Entry e : List.of(result.get(), zip.get())) {
      var actual = Checksums.of(Path.of(URI.create(e.pfn())));
      if (actual.sizeBytes() != e.size() || !actual.md5().equals(e.md5())) {
        return e.lfn() + " at " + e.pfn() + " is " + actual + ", the catalogue says " + e.size() + " bytes md5 " + e.md5();
      }
    }
    String text = Files.readString(Path.of(URI.create(result.get().pfn())), StandardCharsets.US_ASCII).trim();
    int uid = Integer.parseInt(text.replaceAll("^uid=(\\d+) .*$", "$1"));
    if (!text.equals("uid=" + uid + " events=100 sum=" + 5050 * uid)) {
      return "result.txt holds '" + text + "'";
    }
    String dir = result.get().lfn().substring(0, result.get().lfn().lastIndexOf('/'));
    if (!dir.endsWith(String.format("/%03d", uid))) {
      return "outputs registered under " + dir + ", expected subjob " + uid + "'s OutputDir";
    }
    List<String> members = new ArrayList<>();
    try (InputStream in = Files.newInputStream(Path.of(URI.create(zip.get().pfn())));
        ZipInputStream z = new ZipInputStream(in)) {
      for (ZipEntry entry; (entry = z.getNextEntry()) != null; ) {
        members.add(entry.getName());
      }
    }
    if (members.size() != uid) {
      return "histos.zip holds " + members + ", expected " + uid + " histograms";
    }
    return null;
  }

  @Override
  public String closingLine(int passed, int failed) {
    return "alien: " + passed + " done, " + failed + " failed";
  }

  @Override
  public void close() {
    source.close();
    alien.close();
  }
}
