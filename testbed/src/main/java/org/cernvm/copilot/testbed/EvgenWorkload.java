package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.panda.PandaConfig;
import org.cernvm.copilot.panda.PandaJobSource;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.testbed.panda.Evgen;
import org.cernvm.copilot.testbed.panda.FakePanda;
import org.cernvm.copilot.testbed.panda.HepMC3Events;
import org.cernvm.copilot.testbed.panda.JobView;
import org.cernvm.copilot.testbed.panda.PandaOutput;

/**
 * The demo's ATLAS evgen jobs: submitted to a fake PanDA server, taken by the PanDA adapter, run by
 * agents as the stand-in {@code Generate_tf.py}. A job passes when PanDA has it finished with its EVNT
 * output, and the file, re-read from where PanDA was told it is stored, holds the right number of events,
 * each with the vertices and particles it declares and four-momentum conserved at every vertex, and the
 * size and adler32 PanDA recorded; and its log tarball, stored and recorded too, holds the payload's stdout,
 * its {@code jobReport.json} and the agent's lines.
 */
public final class EvgenWorkload implements Workload {
  private final FakePanda panda;
  private final PandaJobSource source;
  private final Evgen evgen;
  private final int jobs;
  private final Clock clock;
  private final String token;
  private final Path release;

  /** Starts a fake PanDA server and submits {@code jobs} evgen jobs of {@code events} events each. */
  public EvgenWorkload(Path workDir, int jobs, int events, Clock clock) throws Exception {
    this(workDir, jobs, events, clock, Duration.ofMinutes(30));
  }

  /**
   * {@link #EvgenWorkload(Path, int, int, Clock)} with PanDA failing a dispatched job that has had no update
   * for {@code heartbeatTimeout}.
   */
  public EvgenWorkload(Path workDir, int jobs, int events, Clock clock, Duration heartbeatTimeout) throws Exception {
    this.jobs = jobs;
    this.clock = clock;
    this.token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    panda = FakePanda.start(clock, heartbeatTimeout, Map.of(token, "production"), token, 0);
    release = Transforms.install(workDir.resolve("release"));
    evgen = new Evgen(events, 13600, 950000, "MC23.CoPilotDY_Zll", "AtlasProduction,23.6.x", 47000001L);
    panda.submit(evgen.jobs(jobs));
    source = openSource();
  }

  /** A new PanDA adapter for the fake server, as another job-manager process would open. */
  public PandaJobSource openSource() {
    return PandaJobSource.open(PandaConfig.from(Settings.of(sourceSettings())), clock);
  }

  /**
   * The {@code panda.*} keys of a job manager serving these jobs, its secret {@code panda.token} among them,
   * for a job manager in this process ({@link #openSource}) or in one of its own.
   */
  public Map<String, String> sourceSettings() {
    return Map.of(
        "panda.url", panda.url().toString(),
        "panda.token", token,
        "panda.release-dir", release.toString(),
        "panda.update-interval", "10s",
        "panda.empty-pause", "1s");
  }

  /** The fake PanDA server's view of every job. */
  public List<JobView> jobs() {
    return panda.list();
  }

  @Override
  public String describe() {
    return jobs + " ATLAS evgen jobs (" + evgen.events() + " events each) from a fake PanDA server at " + panda.url();
  }

  @Override
  public JobSource source() {
    return source;
  }

  @Override
  public Progress progress() {
    List<JobView> all = panda.list();
    long finished = all.stream().filter(j -> j.state().equals("finished")).count();
    long failed = all.stream().filter(j -> j.isFinal() && !j.state().equals("finished")).count();
    long waiting = all.stream().filter(j -> j.state().equals("activated")).count();
    long ended = finished + failed;
    String line = String.format("evgen: %d/%d PanDA jobs ended (%d finished, %d failed), %d running, %d activated",
        ended, jobs, finished, failed, jobs - ended - waiting, waiting);
    return new Progress(line, ended == jobs, (int) (jobs - ended));
  }

  @Override
  public int verify(PrintStream out) throws Exception {
    int passed = 0;
    for (JobView job : panda.list()) {
      String problem = problem(job);
      if (problem == null) {
        passed++;
      } else {
        out.println("evgen: PanDA job " + job.pandaId() + " FAILED: " + problem);
      }
    }
    return passed;
  }

  /** What is wrong with a job, or {@code null} when it finished with the right output. */
  String problem(JobView job) throws IOException {
    if (!job.state().equals("finished")) {
      return "ended " + job.state() + " " + job.pilotErrorCode() + " " + job.pilotErrorDiag();
    }
    PandaOutput recorded = job.outputs().stream().filter(o -> o.lfn().startsWith("EVNT.")).findFirst().orElse(null);
    PandaOutput logTarball = job.outputs().stream().filter(o -> o.lfn().startsWith("log.")).findFirst().orElse(null);
    if (recorded == null || logTarball == null || job.outputs().size() != 2) {
      return "PanDA recorded " + job.outputs() + ", expected the EVNT file and the log tarball";
    }
    String logProblem = logProblem(job.pandaId(), logTarball);
    if (logProblem != null) {
      return logProblem;
    }
    Path file = Path.of(URI.create(recorded.surl()));
    OutputFile actual = Checksums.of(file);
    if (!recorded.adler32().equals(actual.adler32()) || recorded.fsize() != actual.sizeBytes()) {
      return "PanDA recorded " + recorded + " but the stored file is " + actual;
    }
    HepMC3Events.Summary events = HepMC3Events.check(file);
    if (events.problem() != null) {
      return file + ": " + events.problem();
    }
    if (events.events() != evgen.events()) {
      return file + " holds " + events.events() + " events, expected " + evgen.events();
    }
    return null;
  }

  /**
   * What is wrong with a job's stored log tarball, or {@code null}: it must be what PanDA recorded and
   * hold the payload's stdout, its {@code jobReport.json} and the agent's lines under
   * {@code tarball_PandaJob_<PandaID>_<queue>/}.
   */
  private static String logProblem(long pandaId, PandaOutput recorded) throws IOException {
    Path file = Path.of(URI.create(recorded.surl()));
    OutputFile actual = Checksums.of(file);
    if (!recorded.adler32().equals(actual.adler32()) || recorded.fsize() != actual.sizeBytes()) {
      return "PanDA recorded the log " + recorded + " but the stored file is " + actual;
    }
    String dir = "tarball_PandaJob_" + pandaId + "_";
    List<String> names = new java.util.ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(file)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
      }
    }
    for (String wanted : List.of("stdout.txt", "jobReport.json", "copilot-agent.log")) {
      if (names.stream().noneMatch(n -> n.startsWith(dir) && n.endsWith("/" + wanted))) {
        return "the log tarball " + recorded.lfn() + " lacks " + dir + "…/" + wanted + ": " + names;
      }
    }
    return null;
  }

  @Override
  public String closingLine(int passed, int failed) {
    return "evgen: " + passed + " finished, " + failed + " failed";
  }

  @Override
  public void close() {
    source.close();
    panda.close();
  }
}
