package org.cernvm.copilot.testbed;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
import org.cernvm.copilot.testkit.panda.Derivation;
import org.cernvm.copilot.testkit.panda.Evgen;
import org.cernvm.copilot.testkit.panda.FakePanda;
import org.cernvm.copilot.testkit.panda.HepMC3Events;
import org.cernvm.copilot.testkit.panda.JobDefinition;
import org.cernvm.copilot.testkit.panda.JobView;
import org.cernvm.copilot.testkit.panda.PandaOutput;
import org.cernvm.copilot.testkit.panda.TruthHistogram;

/**
 * The demo's ATLAS production: evgen jobs submitted to a fake PanDA server, taken by the PanDA adapter,
 * run by agents as the stand-in {@code Generate_tf.py}; then, for a two-step chain, TRUTH1 derivation jobs
 * over the EVNT dataset those jobs stored, each staging its EVNT files in from the fake's replica endpoint
 * and running the stand-in {@code Derivation_tf.py}. An evgen job passes when PanDA has it finished with
 * its EVNT output and the events its report gave, and the file, re-read from where PanDA was told it is
 * stored, holds the right number of events, each with the vertices and particles it declares and
 * four-momentum conserved at every vertex, and the size and adler32 PanDA recorded; and its log tarball,
 * stored and recorded too, holds the payload's stdout, its {@code jobReport.json} and the agent's lines. A
 * derivation job passes when its histogram, re-read the same way, counts every event of its inputs; and
 * the derivation passes as a whole when the histograms added peak at the Z mass.
 */
public final class EvgenWorkload implements Workload {
  /** The storage endpoint (RSE) the jobs' outputs go to, their {@code ddmEndPointOut}. */
  private static final String ENDPOINT = "CERN-COPILOT_DATADISK";
  /** The Z boson's mass, in GeV (PDG). */
  static final double Z_MASS = 91.1876;
  private final FakePanda panda;
  private final PandaJobSource source;
  private final Evgen evgen;
  private final int jobs;
  private final Clock clock;
  private final String token;
  private final Path release;
  /** The second step, or {@code null} for evgen alone. */
  private final Derivation derivation;
  /** The derivation jobs' PandaIDs once submitted; guarded by {@code this}. */
  private List<Long> derivationIds;
  /** How many EVNT files the derivation jobs were given; guarded by {@code this}. */
  private int derivationInputs;
  private volatile String closing = "";

  /** Starts a fake PanDA server and submits {@code jobs} evgen jobs of {@code events} events each. */
  public EvgenWorkload(Path workDir, int jobs, int events, Clock clock) throws Exception {
    this(workDir, jobs, events, clock, Duration.ofMinutes(30));
  }

  /**
   * {@link #EvgenWorkload(Path, int, int, Clock)} with PanDA failing a dispatched job that has had no update
   * for {@code heartbeatTimeout}.
   */
  public EvgenWorkload(Path workDir, int jobs, int events, Clock clock, Duration heartbeatTimeout) throws Exception {
    this(workDir, jobs, events, clock, heartbeatTimeout, 0);
  }

  /**
   * A two-step chain: {@code jobs} evgen jobs of {@code events} events each, then, once they have ended,
   * derivation jobs over the EVNT files they stored, {@code filesPerDerivationJob} files each.
   */
  public static EvgenWorkload chain(Path workDir, int jobs, int events, Clock clock, int filesPerDerivationJob)
      throws Exception {
    return new EvgenWorkload(workDir, jobs, events, clock, Duration.ofMinutes(30), filesPerDerivationJob);
  }

  private EvgenWorkload(Path workDir, int jobs, int events, Clock clock, Duration heartbeatTimeout,
      int filesPerDerivationJob) throws Exception {
    this.jobs = jobs;
    this.clock = clock;
    this.token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    panda = FakePanda.start(clock, heartbeatTimeout, Map.of(token, "production"), token, 0);
    release = Transforms.install(workDir.resolve("release"));
    evgen = new Evgen(events, 13600, 950000, "MC23.CoPilotDY_Zll", "AtlasProduction,23.6.x", 47000001L);
    derivation = filesPerDerivationJob > 0
        ? new Derivation(evgen.dataset(), filesPerDerivationJob, "AthDerivation,23.6.x", 47000002L) : null;
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
        "panda.empty-pause", "1s",
        "panda.endpoints", ENDPOINT + "=" + panda.replicaUrl(ENDPOINT));
  }

  /** The fake PanDA server's view of every job. */
  public List<JobView> jobs() {
    return panda.list();
  }

  @Override
  public String describe() {
    return jobs + " ATLAS evgen jobs (" + evgen.events() + " events each)"
        + (derivation == null ? "" : " then " + derivationJobs() + " TRUTH1 derivation jobs over their EVNT files")
        + " from a fake PanDA server at " + panda.url();
  }

  @Override
  public int jobCount() {
    return jobs + derivationJobs();
  }

  /**
   * The derivation jobs: those submitted, once they are; before, those planned, one per {@code filesPerJob}
   * EVNT files of all the evgen jobs.
   */
  private synchronized int derivationJobs() {
    if (derivation == null) {
      return 0;
    }
    return derivationIds != null ? derivationIds.size()
        : (jobs + derivation.filesPerJob() - 1) / derivation.filesPerJob();
  }

  @Override
  public JobSource source() {
    return source;
  }

  @Override
  public Progress progress() throws Exception {
    List<JobView> all = panda.list();
    List<JobView> generated = all.stream().filter(j -> j.transformation().equals("Generate_tf.py")).toList();
    Tally e = Tally.of(generated);
    String line = e.line("evgen", jobs);
    if (derivation == null) {
      return new Progress(line, e.ended() == jobs, jobs - e.ended());
    }
    List<Long> ids = submitDerivationOnce(e.ended() == jobs && e.finished() > 0);
    if (ids == null) {
      boolean noInputs = e.ended() == jobs;
      return new Progress(line, noInputs, jobs - e.ended() + (noInputs ? 0 : derivationJobs()));
    }
    Tally d = Tally.of(all.stream().filter(j -> ids.contains(j.pandaId())).toList());
    return new Progress(line + "; " + d.line("derivation", ids.size()), d.ended() == ids.size(), ids.size() - d.ended());
  }

  /** Submits the derivation over the EVNT dataset the first time {@code ready}; its PandaIDs, or null before. */
  private synchronized List<Long> submitDerivationOnce(boolean ready) {
    if (derivationIds == null && ready) {
      List<JobDefinition.Input> files = panda.datasetFiles(evgen.dataset());
      derivationIds = List.copyOf(panda.submit(derivation.jobs(files)));
      derivationInputs = files.size();
    }
    return derivationIds;
  }

  /** Jobs by how far they came. */
  private record Tally(int finished, int failed, int activated, int running) {
    static Tally of(List<JobView> jobs) {
      int finished = (int) jobs.stream().filter(j -> j.state().equals("finished")).count();
      int failed = (int) jobs.stream().filter(j -> j.isFinal() && !j.state().equals("finished")).count();
      int activated = (int) jobs.stream().filter(j -> j.state().equals("activated")).count();
      return new Tally(finished, failed, activated, jobs.size() - finished - failed - activated);
    }

    int ended() {
      return finished + failed;
    }

    String line(String step, int of) {
      return String.format("%s: %d/%d PanDA jobs ended (%d finished, %d failed), %d running, %d activated",
          step, ended(), of, finished, failed, running, activated);
    }
  }

  @Override
  public int verify(PrintStream out) throws Exception {
    int evgenPassed = 0;
    int derivationPassed = 0;
    TruthHistogram sum = null;
    for (JobView job : panda.list()) {
      boolean evgenJob = job.transformation().equals("Generate_tf.py");
      try {
        if (evgenJob) {
          checkEvgen(job);
          evgenPassed++;
        } else {
          TruthHistogram h = histogram(job);
          derivationPassed++;
          sum = sum == null ? h : sum.plus(h);
        }
      } catch (Problem p) {
        out.println((evgenJob ? "evgen" : "derivation") + ": PanDA job " + job.pandaId() + " FAILED: " + p.getMessage());
      }
    }
    closing = "evgen: " + evgenPassed + " finished, " + (jobs - evgenPassed) + " failed";
    if (derivation == null) {
      return evgenPassed;
    }
    String peak = sum == null ? "no histogram" : String.format("m_ll peaks at %.1f GeV over %d events", sum.peak(), sum.events());
    // The bins are 1 GeV wide and the Z's width 2.5 GeV: the highest bin holds its mass or is next to that one.
    if (sum != null && Math.abs(sum.peak() - Z_MASS) > 1.5 * sum.binWidth()) {
      out.println("derivation: FAILED: the dilepton mass peaks at " + sum.peak() + " GeV, not at the Z mass " + Z_MASS);
      derivationPassed = 0;
    }
    List<String> read = sum == null ? List.of() : sum.inputEvents().stream().map(TruthHistogram.InputEvents::name).toList();
    int given;
    synchronized (this) {
      given = derivationInputs;
    }
    if (derivationPassed == derivationJobs() && (read.size() != given || read.stream().distinct().count() != read.size())) {
      out.println("derivation: FAILED: the histograms read " + read.size() + " EVNT files (" + read.stream().distinct().count()
          + " distinct), not each of the " + given + " the jobs were given once");
      derivationPassed = 0;
    }
    closing += "; derivation: " + derivationPassed + " finished, " + (derivationJobs() - derivationPassed)
        + " failed; " + peak;
    return evgenPassed + derivationPassed;
  }

  /** What is wrong with a job, as the message of a checked exception. */
  private static final class Problem extends Exception {
    private static final long serialVersionUID = 1L;

    Problem(String message) {
      super(message);
    }
  }

  /** What is wrong with an evgen job, or {@code null} when it finished with the right output. */
  String problem(JobView job) throws IOException {
    try {
      checkEvgen(job);
      return null;
    } catch (Problem p) {
      return p.getMessage();
    }
  }

  /**
   * Checks a finished evgen job: its EVNT file, stored as PanDA recorded it beside its log tarball, holds the
   * events asked for, each well formed, and PanDA has the events the job's report gave.
   */
  private void checkEvgen(JobView job) throws Problem, IOException {
    Path file = storedOutput(job, "EVNT.", "the EVNT file");
    HepMC3Events.Summary events = HepMC3Events.check(file);
    if (events.problem() != null) {
      throw new Problem(file + ": " + events.problem());
    }
    if (events.events() != evgen.events()) {
      throw new Problem(file + " holds " + events.events() + " events, expected " + evgen.events());
    }
    if (job.nEvents() != evgen.events() || !job.jobMetrics().contains("nEvents=" + evgen.events())) {
      throw new Problem("PanDA has nEvents " + job.nEvents() + " and jobMetrics '" + job.jobMetrics() + "', expected "
          + evgen.events() + " events from the job's report");
    }
  }

  /**
   * A finished derivation job's histogram, checked: stored as PanDA recorded it beside its log tarball, and
   * counting every event of the EVNT files it took, which PanDA's {@code nEvents} says too.
   */
  private TruthHistogram histogram(JobView job) throws Problem, IOException {
    Path file = storedOutput(job, "DAOD_TRUTH1.", "the DAOD_TRUTH1 file");
    TruthHistogram h = TruthHistogram.read(file);
    long expected = (long) h.inputEvents().size() * evgen.events();
    if (h.events() != expected || h.inputEvents().stream().anyMatch(i -> i.events() != evgen.events())) {
      throw new Problem(file + " counts " + h.events() + " events of its inputs " + h.inputEvents() + ", expected "
          + evgen.events() + " from each");
    }
    if (job.nEvents() != h.events()) {
      throw new Problem("PanDA has nEvents " + job.nEvents() + ", the histogram counts " + h.events());
    }
    return h;
  }

  /**
   * The stored file of a finished job's one output whose LFN starts {@code prefix}, when PanDA recorded it
   * and the log tarball, nothing else, and both are stored as recorded, the log holding what it should.
   */
  private static Path storedOutput(JobView job, String prefix, String what) throws Problem, IOException {
    if (!job.state().equals("finished")) {
      throw new Problem("ended " + job.state() + " " + job.pilotErrorCode() + " " + job.pilotErrorDiag());
    }
    PandaOutput recorded = output(job, prefix);
    PandaOutput logTarball = output(job, "log.");
    if (recorded == null || logTarball == null || job.outputs().size() != 2) {
      throw new Problem("PanDA recorded " + job.outputs() + ", expected " + what + " and the log tarball");
    }
    checkLog(job.pandaId(), logTarball);
    return storedAsRecorded(recorded);
  }

  private static PandaOutput output(JobView job, String prefix) {
    return job.outputs().stream().filter(o -> o.lfn().startsWith(prefix)).findFirst().orElse(null);
  }

  /** The stored file of {@code recorded}, when it has the size and adler32 PanDA recorded. */
  private static Path storedAsRecorded(PandaOutput recorded) throws Problem, IOException {
    Path file = Path.of(URI.create(recorded.surl()));
    OutputFile actual = Checksums.of(file);
    if (!recorded.adler32().equals(actual.adler32()) || recorded.fsize() != actual.sizeBytes()) {
      throw new Problem("PanDA recorded " + recorded + " but the stored file is " + actual);
    }
    return file;
  }

  /**
   * Checks a job's stored log tarball: it must be what PanDA recorded and hold the payload's stdout, its
   * {@code jobReport.json} and the agent's lines under {@code tarball_PandaJob_<PandaID>_<queue>/}, and no
   * input or output.
   */
  private static void checkLog(long pandaId, PandaOutput recorded) throws Problem, IOException {
    Path file;
    try {
      file = storedAsRecorded(recorded);
    } catch (Problem p) {
      throw new Problem("the log: " + p.getMessage());
    }
    String dir = "tarball_PandaJob_" + pandaId + "_";
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(file)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
      }
    }
    for (String wanted : List.of("stdout.txt", "jobReport.json", "copilot-agent.log")) {
      if (names.stream().noneMatch(n -> n.startsWith(dir) && n.endsWith("/" + wanted))) {
        throw new Problem("the log tarball " + recorded.lfn() + " lacks " + dir + "…/" + wanted + ": " + names);
      }
    }
    if (names.stream().anyMatch(n -> n.contains("/EVNT.") || n.contains("/DAOD_"))) {
      throw new Problem("the log tarball " + recorded.lfn() + " holds an input or output: " + names);
    }
  }

  /** The closing line of the last {@link #verify}: each step's jobs and, for a chain, where m_ll peaks. */
  @Override
  public String closingLine(int passed, int failed) {
    return closing.isEmpty() ? "evgen: " + passed + " finished, " + failed + " failed" : closing;
  }

  @Override
  public void close() {
    source.close();
    panda.close();
  }
}
