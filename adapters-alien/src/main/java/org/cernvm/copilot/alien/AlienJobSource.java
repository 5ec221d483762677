package org.cernvm.copilot.alien;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.cernvm.copilot.alien.jdl.InputEntry;
import org.cernvm.copilot.alien.jdl.Jdl;
import org.cernvm.copilot.alien.jdl.JdlSyntaxException;
import org.cernvm.copilot.alien.jdl.JdlValue;
import org.cernvm.copilot.alien.jdl.OutputEntry;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.HandOver;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.Leases;
import org.cernvm.copilot.jobmanager.RegisteredOutputs;
import org.cernvm.copilot.jobmanager.TicketRejectedException;
import org.cernvm.copilot.jobmanager.TicketedJob;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.InputFile;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobLog;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.Lease;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.ShellWords;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Untrusted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ALICE jobs from AliEn, as a {@link JobSource}: it calls {@code getMatchJob} on behalf of an agent (the
 * slot's lifetime as TTL, its cores and disk, the site's packages), turns the JDL into a CoPilot job, and
 * keeps the job token to itself. The job runs as a small shell wrapper: the executable (staged from the
 * catalogue with the input files), then the {@code ValidationCommand} (exit {@value #VALIDATION_FAILED}
 * when it fails, reported ERROR_V), then the output archives zipped with Python's {@code zipfile}. The
 * payload sees {@code ALIEN_PROC_ID}, {@code ALIEN_SITE} and {@code ALIEN_JDL_*}, never the token.
 * Heartbeats go to AliEn as {@code proc} log lines; an answer that the job was killed becomes a kill. The
 * job moves STARTED → RUNNING → SAVING → DONE (or ERROR_V, ERROR_E); stored outputs are booked in the
 * catalogue under {@code OutputDir} and committed with their SE location.
 *
 * <p>Several job managers can serve one AliEn site: the queue id, job token, user and JDL travel in the
 * job's sealed ticket, so a replica that gets a heartbeat, end or output registration for a job another
 * one leased takes it over ({@link #adopt}); its first heartbeat there is relayed at once, and a job AliEn
 * no longer knows under that token fences the agent; if its agent falls silent, AliEn's own ZOMBIE and
 * EXPIRED states end it. Catalogue commits of the same file are idempotent,
 * so every replica may register a job's outputs.
 */
public final class AlienJobSource implements JobSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlienJobSource.class);
  /** The wrapper's exit code when the validation command failed. */
  public static final int VALIDATION_FAILED = 86;
  private static final String ZIP = "import sys, glob, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w', "
      + "zipfile.ZIP_DEFLATED); [z.write(f) for p in sys.argv[2:] for f in sorted(glob.glob(p))]; z.close()";

  private final AlienConfig config;
  private final AlienClient client;
  private final Clock clock;
  private final Leases<Leased> leases;
  private final ObjectMapper json = new ObjectMapper();
  private volatile Instant emptyUntil = Instant.MIN;

  /** What a job ticket holds for AliEn: the job's identity and token, and its JDL as AliEn sent it. */
  private record Upstream(long queueId, String token, String user, String jdl) {}

  /** One job handed to an agent, with its AliEn identity and token; guarded by its own monitor. */
  private static final class Leased extends Leases.Entry {
    final long queueId;
    final String token;
    final String user;
    final Jdl jdl;
    Instant lastProc = Instant.MIN;
    JobStatus reported = JobStatus.STARTED;
    boolean killedByAlien;

    Leased(long queueId, String token, String user, Jdl jdl, JobSpec spec, Lease lease, String agentId,
        Instant now) {
      super(spec, lease, agentId, now);
      this.queueId = queueId;
      this.token = token;
      this.user = user;
      this.jdl = jdl;
    }
  }

  private AlienJobSource(AlienConfig config, Clock clock) {
    this.config = config;
    this.client = new AlienClient(config);
    this.clock = clock;
    this.leases = new Leases<>("AliEn", clock);
  }

  /** A source taking jobs from the AliEn central services that {@code config} names. */
  public static AlienJobSource open(AlienConfig config, Clock clock) {
    return new AlienJobSource(config, clock);
  }

  @Override
  public String name() {
    return "alien";
  }

  @Override
  public boolean hasWorkFor(Resources resources) {
    return resources.accepts("ALICE") && !clock.instant().isBefore(emptyUntil);
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime) throws JobSourceException {
    if (!hasWorkFor(resources)) {
      return Optional.empty();
    }
    Map<String, Object> offer = new LinkedHashMap<>();
    offer.put("site", config.site());
    offer.put("ce", config.ce());
    offer.put("ttl", resources.lifetime().toSeconds());
    offer.put("cores", resources.cores());
    offer.put("disk", resources.diskMb() * 1024);
    offer.put("packages", config.packages());
    offer.put("node", agentId);
    JsonNode answer = client.call("/api/getMatchJob", offer);
    if (answer.path("code").asInt() != 1) {
      emptyUntil = clock.instant().plus(config.emptyPause());
      return Optional.empty();
    }
    long queueId = answer.path("queueId").asLong();
    String token = answer.path("token").asText();
    JobSpec spec;
    Jdl jdl;
    try {
      jdl = Jdl.parse(answer.path("jdl").asText());
      spec = translate(queueId, jdl);
    } catch (JdlSyntaxException | IllegalArgumentException e) {
      log.warn("AliEn job {} cannot run here: {}; reporting it FAILED", Untrusted.text(queueId),
          Untrusted.text(e.getMessage()));
      status(queueId, token, JobStatus.FAILED);
      return Optional.empty();
    }
    Lease lease = new Lease(MessageIds.next(), 1, clock.instant().plus(leaseTime));
    Leased l = new Leased(queueId, token, answer.path("user").asText(), jdl, spec, lease, agentId, clock.instant());
    leases.put(l);
    status(queueId, token, JobStatus.STARTED);
    log.info("AliEn job {} ({}) leased to {}", queueId, Untrusted.text(jdl.executable()), agentId);
    String upstream;
    try {
      upstream = json.writeValueAsString(new Upstream(queueId, token, l.user, answer.path("jdl").asText()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the ticket of AliEn job " + queueId, e);
    }
    return Optional.of(new Claim(spec, lease, upstream));
  }

  /** The CoPilot job for a matched JDL: inputs from the catalogue, the wrapper, outputs, environment. */
  private JobSpec translate(long queueId, Jdl jdl) throws UpstreamUnavailableException {
    List<InputFile> inputs = new ArrayList<>();
    String exe = basename(jdl.executable());
    inputs.add(stage(jdl.executable()));
    String validation = null;
    if (jdl.validationCommand() != null) {
      validation = basename(jdl.validationCommand());
      inputs.add(stage(jdl.validationCommand()));
    }
    List<InputEntry> wanted = new ArrayList<>(jdl.inputFile());
    wanted.addAll(jdl.inputData());
    for (InputEntry e : wanted) {
      if (!e.noDownload()) {
        inputs.add(stage(e.lfn()));
      }
    }
    List<String> outputs = new ArrayList<>();
    StringBuilder zips = new StringBuilder();
    List<OutputEntry> entries = new ArrayList<>(jdl.output());
    entries.addAll(jdl.outputFile());
    entries.addAll(jdl.outputArchive());
    for (OutputEntry o : entries) {
      if (o.archive() != null) {
        String archive = o.archive().endsWith(".zip") ? o.archive() : o.archive() + ".zip";
        outputs.add(archive);
        zips.append("python3 -c ").append(quote(ZIP)).append(' ').append(quote(archive));
        o.files().forEach(f -> zips.append(' ').append(quote(f)));
        zips.append(" || exit 87\n");
      } else {
        for (String f : o.files()) {
          if (f.contains("*") || f.contains("?")) {
            throw new IllegalArgumentException("output pattern " + f + " outside an archive is not supported");
          }
          outputs.add(f);
        }
      }
    }
    String script = "chmod +x ./" + quote(exe) + "\n./" + quote(exe) + " \"$@\"\nrc=$?\n[ $rc -eq 0 ] || exit $rc\n"
        + (validation == null ? "" : "chmod +x ./" + quote(validation) + "\n./" + quote(validation)
            + " || exit " + VALIDATION_FAILED + "\n")
        + zips + "exit 0\n";
    List<String> args = new ArrayList<>(List.of("-c", script, "alien-job"));
    if (jdl.arguments() != null) {
      args.addAll(ShellWords.split(jdl.arguments()));
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ALIEN_PROC_ID", Long.toString(queueId));
    env.put("ALIEN_SITE", config.site());
    for (String v : jdl.jdlVariables()) {
      String value = variable(jdl, v);
      if (value != null) {
        env.put("ALIEN_JDL_" + v.toUpperCase(Locale.ROOT), value);
      }
    }
    long ttl = jdl.ttl() == null ? 21600 : jdl.ttl();
    int cores = jdl.cpuCores() == null ? 1 : jdl.cpuCores();
    return new JobSpec(Long.toString(queueId), "alien", "ALICE", "/bin/sh", args, env, inputs, outputs,
        JobLog.of(Long.toString(queueId)), Duration.ofSeconds(ttl), cores);
  }

  private InputFile stage(String lfn) throws UpstreamUnavailableException {
    JsonNode entry = client.call("/api/catalogue/find", Map.of("lfn", lfn));
    if (!entry.has("pfn")) {
      throw new IllegalArgumentException("input " + lfn + " is not in the catalogue");
    }
    return new InputFile(basename(lfn), entry.get("pfn").asText());
  }

  /** The value of a JDL variable as AliEn exports it: strings as they are, list items joined with {@code ##}. */
  private static String variable(Jdl jdl, String name) {
    return jdl.attribute(name).map(v -> {
      if (v instanceof JdlValue.ListValue list) {
        return String.join("##", list.items().stream().map(AlienJobSource::plain).toList());
      }
      return plain(v);
    }).orElse(null);
  }

  private static String plain(JdlValue v) {
    return v instanceof JdlValue.Text t ? t.value() : v.print();
  }

  private static String basename(String lfn) {
    return lfn.substring(lfn.lastIndexOf('/') + 1);
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Sends a state change; answers whether AliEn says the job was killed. */
  private boolean status(long queueId, String token, JobStatus next) throws UpstreamUnavailableException {
    JsonNode a = client.call("/api/setJobStatus", Map.of("queueId", queueId, "token", token, "status", next.name()));
    String result = a.path("result").asText();
    if (!result.equals("OK") && !result.equals("KILLED")) {
      log.warn("AliEn job {}: change to {} answered {}", queueId, next, Untrusted.text(result));
    }
    return result.equals("KILLED");
  }

  /**
   * Takes over a job from its ticket. Its first heartbeat here goes to AliEn at once, whatever the
   * {@code proc} interval, so that a job AliEn has ended meanwhile is fenced at once.
   */
  @Override
  public void adopt(TicketedJob t, Duration leaseTime) throws JobSourceException {
    Upstream u;
    Jdl jdl;
    try {
      u = json.readValue(t.upstream(), Upstream.class);
      jdl = Jdl.parse(u.jdl());
    } catch (JsonProcessingException | JdlSyntaxException e) {
      throw new TicketRejectedException("the job ticket of " + t.job().jobId() + " holds no AliEn job: "
          + e.getMessage());
    }
    Instant now = clock.instant();
    boolean adopted = leases.adopt(t.job().jobId(), () -> new Leased(u.queueId(), u.token(), u.user(), jdl, t.job(),
        new Lease(t.lease().leaseId(), t.lease().epoch(), now.plus(leaseTime)), t.agentId(), now));
    if (adopted) {
      log.info("AliEn job {} of {} taken over from its job ticket", u.queueId(), t.agentId());
    }
  }

  @Override
  public Optional<String> heartbeat(Heartbeat hb, Duration leaseTime) throws JobSourceException {
    Leased l = leases.current(hb.jobId(), hb.lease(), hb.agentId());
    synchronized (l) {
      Instant now = clock.instant();
      l.deadline = now.plus(leaseTime);
      try {
        JobStatus state = hb.state() == JobState.STAGING_OUT ? JobStatus.SAVING
            : hb.state() == JobState.RUNNING ? JobStatus.RUNNING : JobStatus.STARTED;
        if (state.level() > l.reported.level()) {
          killedByAlien(l, status(l.queueId, l.token, state));
          l.reported = state;
        }
        if (!now.isBefore(l.lastProc.plus(config.procInterval()))) {
          long wall = hb.usage().wallTime().toSeconds();
          String proc = wall + " " + wall + " 0 0 " + (long) hb.usage().cpuSeconds() + " " + hb.usage().rssMb() * 1024
              + " 0 " + l.spec.cores() + " 0 0 0 " + hb.usage().peakRssMb() * 1024 + " 0 1000";
          JsonNode a = client.call("/api/putJobLog", Map.of("queueId", l.queueId, "token", l.token, "tag", "proc",
              "message", proc));
          String result = a.path("result").asText();
          killedByAlien(l, result.equals("KILLED"));
          l.lastProc = now;
          if (result.equals("BAD_TOKEN") || result.equals("UNKNOWN")) {
            // AliEn ended the job (its token is gone): the lease expired here or at another replica.
            l.endedAt = now;
            throw new LeaseFencedException("AliEn no longer runs job " + l.queueId + " under this token: " + result);
          }
        }
      } catch (UpstreamUnavailableException e) {
        log.warn("AliEn job {}: heartbeat not relayed: {}", hb.jobId(), Untrusted.text(e.getMessage()));
      }
      return Optional.ofNullable(l.killReason);
    }
  }

  private static void killedByAlien(Leased l, boolean killed) {
    if (killed && l.killReason == null) {
      l.killReason = "AliEn: job killed";
      l.killedByAlien = true;
      log.info("AliEn job {} was killed", l.queueId);
    }
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    if (leases.isRepeated(request)) {
      return;
    }
    Leased l = leases.current(request.jobId(), request.lease(), request.agentId());
    synchronized (l) {
      if (l.killedByAlien) {
        // AliEn took the job token back with the kill: a killed job's log stays in storage, unbooked.
        l.stored = List.copyOf(request.files());
        log.info("AliEn job {}: killed by AliEn; its {} stored file(s) are not booked", l.queueId,
            request.files().size());
        return;
      }
      String dir = l.jdl.outputDir() != null ? l.jdl.outputDir()
          : "/alice/cern.ch/user/" + l.user.charAt(0) + "/" + l.user + "/alien-job-" + l.queueId;
      for (StoredFile f : request.files()) {
        String lfn = dir + "/" + f.file().name();
        JsonNode booked = client.call("/api/catalogue/book", Map.of("queueId", l.queueId, "token", l.token, "lfn", lfn,
            "size", f.file().sizeBytes(), "md5", f.file().md5(), "se", config.se()));
        if (!booked.has("envelope")) {
          throw new UpstreamUnavailableException("AliEn refused to book " + lfn + ": " + booked.path("error").asText(), null);
        }
        JsonNode committed = client.call("/api/catalogue/commit", Map.of("queueId", l.queueId, "token", l.token,
            "envelope", booked.get("envelope").asText(), "pfn", f.location()));
        if (!committed.has("guid")) {
          throw new UpstreamUnavailableException("AliEn refused to commit " + lfn + ": "
              + committed.path("error").asText(), null);
        }
      }
      l.stored = List.copyOf(request.files());
      log.info("AliEn job {}: {} output(s) registered under {}", l.queueId, request.files().size(), Untrusted.text(dir));
    }
  }

  @Override
  public void finish(JobDone done) throws JobSourceException {
    Leased l = leases.get(done.jobId());
    synchronized (l) {
      if (l.reportedByAgent && l.lease.ref().equals(done.lease())) {
        return;
      }
      leases.current(done.jobId(), done.lease(), done.agentId());
      RegisteredOutputs.check(done, l.spec.outputs(), l.stored);
      if (done.outcome() == Outcome.RELEASED) {
        throw new IllegalArgumentException("a released job is handed back with release(), not finished");
      }
      JobStatus end = status(done, l.killedByAlien);
      if (end == JobStatus.DONE && l.reported.level() < JobStatus.SAVING.level()) {
        status(l.queueId, l.token, JobStatus.SAVING);
      }
      if (end != JobStatus.KILLED) {
        status(l.queueId, l.token, end);
      }
      l.endedAt = clock.instant();
      l.reportedByAgent = true;
      log.info("AliEn job {} ended {}", l.queueId, end);
    }
  }

  /**
   * The AliEn state a job's end is reported as, from the agent's failure kind: ERROR_IB when its inputs
   * could not be staged, ERROR_SV when its outputs could not be saved, ERROR_V when validation failed,
   * ERROR_E for the payload's other failures.
   */
  static JobStatus status(JobDone done, boolean killedByAlien) {
    return switch (done.failure()) {
      case NONE -> JobStatus.DONE;
      case STAGE_IN, STAGE_IN_NOT_FOUND, STAGE_IN_TIMEOUT, STAGE_IN_SIZE_MISMATCH, STAGE_IN_ADLER32_MISMATCH,
          STAGE_IN_MD5_MISMATCH, NO_LOCAL_SPACE -> JobStatus.ERROR_IB;
      case MISSING_OUTPUT, STAGE_OUT -> JobStatus.ERROR_SV;
      case PAYLOAD -> done.exitCode() == VALIDATION_FAILED ? JobStatus.ERROR_V : JobStatus.ERROR_E;
      case MISSING_INSTALLATION, LOG, TTL, LOST -> JobStatus.ERROR_E;
      case KILLED -> killedByAlien ? JobStatus.KILLED : JobStatus.ERROR_E;
    };
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    Leased l = leases.current(jobId, lease);
    synchronized (l) {
      status(l.queueId, l.token, JobStatus.ERROR_E);
      l.endedAt = clock.instant();
    }
  }

  /** Hands a prefetched job to an agent: AliEn learns nothing new, the job is STARTED since its match. */
  @Override
  public void assign(HandOver h) throws JobSourceException {
    leases.assign(h.claim().job().jobId(), h.claim().lease().ref(), h.holder(), h.agentId(), h.deadline());
    log.info("AliEn job {} handed to {}", h.claim().job().jobId(), h.agentId());
  }


  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    leases.kill(jobId, reason);
  }

  @Override
  public int expireLeases() throws JobSourceException {
    return leases.expire(l -> {
      status(l.queueId, l.token, JobStatus.EXPIRED);
      log.warn("AliEn job {}: lease of {} expired; reported EXPIRED", l.queueId, l.agentId);
    });
  }

  @Override
  public void close() {
    client.close();
  }
}
