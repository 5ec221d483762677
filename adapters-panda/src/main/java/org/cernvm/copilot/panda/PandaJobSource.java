package org.cernvm.copilot.panda;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.Leases;
import org.cernvm.copilot.jobmanager.RegisteredOutputs;
import org.cernvm.copilot.jobmanager.TicketedJob;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.FileNames;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * ATLAS jobs from PanDA, as a {@link JobSource}: it calls {@code getJob} on behalf of an agent (its slot's
 * cores, memory and disk as the pilot's {@code cpu}, {@code mem}, {@code diskSpace}), turns the PanDA job
 * into a CoPilot job (the transform from the release area, {@code jobPars} as arguments, the output LFNs
 * as outputs), relays heartbeats as {@code updateJob state=running} at most every
 * {@link PandaConfig#updateInterval()}, turns {@code command=tobekilled} into a kill, and reports the end:
 * {@code finished} with a PoolFileCatalog of the stored outputs (LFN, GUID, size, adler32, dataset, SURL),
 * or {@code failed} with the pilot error code that matches the outcome.
 *
 * <p>Several job managers can serve one PanDA queue: the PanDA job's fields travel in the job's sealed
 * ticket, so a replica that gets a heartbeat, end or output registration for a job another one leased
 * takes it over ({@link #adopt}) and asks PanDA at once whether the job still runs; if PanDA has ended
 * it, the agent is fenced. A job taken over is not expired by this replica; if its agent falls silent,
 * PanDA fails it for a lost heartbeat. Final reports are idempotent in PanDA: reporting the same final
 * state again is accepted and changes nothing, so two replicas that both report a job's end report it
 * once.
 */
public final class PandaJobSource implements JobSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PandaJobSource.class);

  /** Pilot error codes (pilot3 {@code ErrorCodes}) used in failed reports. */
  static final int GENERALERROR = 1008;
  static final int STAGEINFAILED = 1099;
  static final int STAGEOUTFAILED = 1137;
  static final int PANDAKILL = 1144;
  static final int MISSINGOUTPUTFILE = 1165;
  static final int KILLSIGNAL = 1200;
  static final int MISSINGINSTALLATION = 1211;
  static final int REACHEDMAXTIME = 1213;
  static final int UNKNOWNPAYLOADFAILURE = 1220;

  private final PandaConfig config;
  private final PandaClient client;
  private final Clock clock;
  private final Leases<Leased> leases;
  private volatile Instant emptyUntil = Instant.MIN;

  /** One job handed to an agent, with its PanDA fields; guarded by its own monitor. */
  private static final class Leased extends Leases.Entry {
    final Map<String, String> fields;
    Instant lastUpdate;
    boolean killedByPanda;

    Leased(JobSpec spec, Lease lease, String agentId, Map<String, String> fields, Instant now, Instant lastUpdate) {
      super(spec, lease, agentId, now);
      this.fields = fields;
      this.lastUpdate = lastUpdate;
    }
  }

  private PandaJobSource(PandaConfig config, Clock clock) {
    this.config = config;
    this.client = new PandaClient(config);
    this.clock = clock;
    this.leases = new Leases<>("PanDA", clock);
  }

  /** A source taking jobs from the PanDA server that {@code config} names. */
  public static PandaJobSource open(PandaConfig config, Clock clock) {
    return new PandaJobSource(config, clock);
  }

  @Override
  public String name() {
    return "panda";
  }

  @Override
  public boolean hasWorkFor(Resources resources) {
    return fits(resources) && !clock.instant().isBefore(emptyUntil);
  }

  private boolean fits(Resources r) {
    return config.ttl().compareTo(r.lifetime()) <= 0 && r.accepts("ATLAS");
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime) throws JobSourceException {
    if (!hasWorkFor(resources)) {
      return Optional.empty();
    }
    Map<String, String> form = new LinkedHashMap<>();
    form.put("siteName", config.siteName());
    form.put("computingElement", config.computingElement());
    form.put("prodSourceLabel", config.prodSourceLabel());
    form.put("node", agentId);
    form.put("mem", Long.toString(resources.memoryMb()));
    form.put("diskSpace", Long.toString(resources.diskMb()));
    form.put("workingGroup", "");
    form.put("cpu", Integer.toString(resources.cores()));
    form.put("getProxyKey", "False");
    Map<String, String> answer = client.call("getJob", form);
    String code = answer.get("StatusCode");
    if (!code.equals("0")) {
      emptyUntil = clock.instant().plus(config.emptyPause());
      if (code.equals("30")) {
        log.warn("PanDA getJob failed: {}", Untrusted.text(answer.getOrDefault("errorDialog", "StatusCode 30")));
      }
      return Optional.empty();
    }
    String pandaId = answer.get("PandaID");
    Instant now = clock.instant();
    JobSpec spec;
    try {
      spec = translate(answer);
    } catch (IllegalArgumentException e) {
      int pilotCode = e.getMessage().startsWith("input") ? STAGEINFAILED : MISSINGINSTALLATION;
      log.warn("PanDA job {} cannot run here: {}; reporting it failed", Untrusted.text(pandaId),
          Untrusted.text(e.getMessage()));
      reportFailed(pandaId, agentId, pilotCode, "CoPilot: " + e.getMessage());
      return Optional.empty();
    }
    Lease lease = new Lease(MessageIds.next(), 1, now.plus(leaseTime));
    Leased l = new Leased(spec, lease, agentId, answer, now, now);
    leases.put(l);
    try {
      update(l, "starting", Map.of());
    } catch (UpstreamUnavailableException e) {
      log.warn("PanDA job {}: could not report 'starting': {}", pandaId, Untrusted.text(e.getMessage()));
    }
    log.info("PanDA job {} ({} {}) leased to {}", pandaId, Untrusted.text(spec.command()),
        Untrusted.text(answer.get("outFiles")), agentId);
    return Optional.of(new Claim(spec, lease, PandaClient.encode(answer)));
  }

  /** The CoPilot job for a PanDA job's fields; throws naming what cannot be run here. */
  JobSpec translate(Map<String, String> f) {
    String transformation = f.getOrDefault("transformation", "");
    if (transformation.isBlank() || transformation.contains("/") || transformation.contains("..")) {
      throw new IllegalArgumentException("transformation '" + transformation + "' is not a transform name");
    }
    // The release area is the agents' (CVMFS on the VM), not this host's: an agent without the transform
    // fails the job when it cannot start it.
    java.nio.file.Path transform = config.releaseDir().resolve(transformation);
    if (!f.getOrDefault("inFiles", "").isBlank() && !f.get("inFiles").equals("NULL")) {
      throw new IllegalArgumentException("input files (" + f.get("inFiles") + ") cannot be staged in by CoPilot yet");
    }
    List<String> outputs = split(f.getOrDefault("outFiles", ""));
    outputs.forEach(o -> FileNames.check(o, "outFiles"));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PandaID", f.get("PandaID"));
    env.put("PANDA_TASKID", f.getOrDefault("taskID", ""));
    env.put("ATLAS_HOMEPACKAGE", f.getOrDefault("homepackage", ""));
    env.put("ATLAS_SWRELEASE", f.getOrDefault("swRelease", ""));
    int cores = Math.max(1, Integer.parseInt(f.getOrDefault("coreCount", "1").isBlank() ? "1" : f.get("coreCount")));
    return new JobSpec(f.get("PandaID"), "panda", "ATLAS", transform.toString(), ShellWords.split(f.getOrDefault("jobPars", "")),
        env, List.of(), outputs, config.ttl(), cores);
  }

  private static List<String> split(String commaSeparated) {
    List<String> out = new ArrayList<>();
    for (String s : commaSeparated.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  /**
   * Takes over a job from its ticket. Its first heartbeat here is relayed to PanDA at once, whatever the
   * update interval, so that a job PanDA has ended meanwhile is fenced at once.
   */
  @Override
  public void adopt(TicketedJob t, Duration leaseTime) {
    Instant now = clock.instant();
    boolean adopted = leases.adopt(t.job().jobId(), () -> new Leased(t.job(),
        new Lease(t.lease().leaseId(), t.lease().epoch(), now.plus(leaseTime)), t.agentId(),
        PandaClient.decode(t.upstream()), now, Instant.MIN));
    if (adopted) {
      log.info("PanDA job {} of {} taken over from its job ticket", t.job().jobId(), t.agentId());
    }
  }

  @Override
  public Optional<String> heartbeat(Heartbeat hb, Duration leaseTime) throws JobSourceException {
    Leased l = leases.current(hb.jobId(), hb.lease(), hb.agentId());
    synchronized (l) {
      Instant now = clock.instant();
      l.deadline = now.plus(leaseTime);
      if (!now.isBefore(l.lastUpdate.plus(config.updateInterval()))) {
        String state = hb.state() == JobState.STAGING_OUT ? "transferring" : "running";
        Map<String, String> answer;
        try {
          answer = update(l, state, Map.of("cpuConsumptionTime", Long.toString((long) hb.usage().cpuSeconds())));
        } catch (UpstreamUnavailableException e) {
          log.warn("PanDA job {}: heartbeat not relayed: {}", hb.jobId(), Untrusted.text(e.getMessage()));
          return Optional.ofNullable(l.killReason);
        }
        if (!"0".equals(answer.get("StatusCode"))) {
          // PanDA no longer runs the job: it failed it for a lost heartbeat, or another replica reported
          // its end after the lease expired.
          l.endedAt = now;
          throw new LeaseFencedException("PanDA no longer runs job " + hb.jobId() + ": "
              + answer.getOrDefault("errorDialog", "StatusCode " + answer.get("StatusCode")));
        }
      }
      return Optional.ofNullable(l.killReason);
    }
  }

  /** Sends {@code updateJob}; a {@code tobekilled} answer marks the job to be killed. */
  private Map<String, String> update(Leased l, String state, Map<String, String> extra)
      throws UpstreamUnavailableException {
    Map<String, String> form = baseForm(l.spec.jobId(), l.agentId, state, l.spec.cores());
    form.putAll(extra);
    Map<String, String> answer = client.call("updateJob", form);
    l.lastUpdate = clock.instant();
    if ("tobekilled".equals(answer.get("command")) && l.killReason == null) {
      l.killReason = "PanDA: tobekilled";
      l.killedByPanda = true;
      log.info("PanDA job {}: tobekilled", l.spec.jobId());
    }
    return answer;
  }

  private Map<String, String> baseForm(String pandaId, String node, String state, int cores) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("jobId", pandaId);
    form.put("state", state);
    form.put("timestamp", clock.instant().toString());
    form.put("siteName", config.siteName());
    form.put("node", node);
    form.put("attemptNr", "1");
    form.put("coreCount", Integer.toString(cores));
    return form;
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    if (leases.isRepeated(request)) {
      return;
    }
    Leased l = leases.current(request.jobId(), request.lease(), request.agentId());
    synchronized (l) {
      l.stored = List.copyOf(request.files());
    }
    log.info("PanDA job {}: {} output(s) stored", request.jobId(), request.files().size());
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
      Map<String, String> extra = new LinkedHashMap<>();
      extra.put("cpuConsumptionTime", Long.toString((long) done.usage().cpuSeconds()));
      extra.put("transExitCode", Integer.toString(Math.max(done.exitCode(), 0)));
      String state;
      if (done.outcome() == Outcome.SUCCEEDED) {
        state = "finished";
        extra.put("xml", catalog(l));
      } else {
        state = "failed";
        extra.putAll(failedForm(pilotErrorCode(done, l), done.diagnostic()));
      }
      Map<String, String> form = baseForm(done.jobId(), l.agentId, state, l.spec.cores());
      form.putAll(extra);
      Map<String, String> answer = client.call("updateJob", form);
      l.endedAt = clock.instant();
      if (!"0".equals(answer.get("StatusCode"))) {
        String why = answer.getOrDefault("errorDialog", "StatusCode " + answer.get("StatusCode"));
        log.warn("PanDA refused the final report of job {} ({}): {}", done.jobId(), state, Untrusted.text(why));
        throw new LeaseFencedException("PanDA refused the end of job " + done.jobId() + ": " + why);
      }
      l.reportedByAgent = true;
      log.info("PanDA job {} reported {}", done.jobId(), state);
    }
  }

  private static int pilotErrorCode(JobDone done, Leased l) {
    return switch (done.outcome()) {
      case SUCCEEDED -> 0;
      case TTL_EXCEEDED -> REACHEDMAXTIME;
      case KILLED -> l.killedByPanda ? PANDAKILL : KILLSIGNAL;
      case RELEASED -> throw new IllegalArgumentException("a released job is handed back with release(), not finished");
      case FAILED -> done.diagnostic().startsWith("stage-out failed") ? STAGEOUTFAILED
          : done.diagnostic().startsWith("missing outputs") ? MISSINGOUTPUTFILE
          : done.diagnostic().startsWith("cannot stage inputs") ? STAGEINFAILED
          : done.exitCode() > 0 ? UNKNOWNPAYLOADFAILURE : GENERALERROR;
    };
  }

  private static Map<String, String> failedForm(int pilotErrorCode, String diag) {
    return Map.of("pilotErrorCode", Integer.toString(pilotErrorCode),
        "pilotErrorDiag", diag.length() > 250 ? diag.substring(0, 250) : diag);
  }

  /** Reports a job failed that no agent will report: it could not be started, was released, or its lease expired. */
  private void reportFailed(String pandaId, String node, int pilotErrorCode, String diag)
      throws UpstreamUnavailableException {
    Map<String, String> form = baseForm(pandaId, node, "failed", 1);
    form.putAll(failedForm(pilotErrorCode, diag));
    client.call("updateJob", form);
  }

  /** The PoolFileCatalog XML of the stored outputs, as a pilot reports them with {@code state=finished}. */
  static String catalog(String pandaId, Map<String, String> fields, List<StoredFile> stored) {
    List<String> lfns = split(fields.getOrDefault("outFiles", ""));
    List<String> datasets = split(fields.getOrDefault("realDatasets", ""));
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n"
        + "<!-- Edited By POOL -->\n<!DOCTYPE POOLFILECATALOG SYSTEM \"InMemory\">\n<POOLFILECATALOG>\n");
    for (StoredFile s : stored) {
      String lfn = s.file().name();
      int i = lfns.indexOf(lfn);
      String guid = UUID.nameUUIDFromBytes((pandaId + "/" + lfn).getBytes(StandardCharsets.UTF_8)).toString()
          .toUpperCase(java.util.Locale.ROOT);
      x.append("  <File ID=\"").append(guid).append("\">\n")
          .append("    <physical>\n      <pfn filetype=\"ROOT_All\" name=\"").append(xml(lfn)).append("\"/>\n    </physical>\n")
          .append("    <logical>\n      <lfn name=\"").append(xml(lfn)).append("\"/>\n    </logical>\n")
          .append(meta("surl", s.location()))
          .append(meta("fsize", Long.toString(s.file().sizeBytes())))
          .append(meta("adler32", s.file().adler32()))
          .append(meta("md5sum", s.file().md5()))
          .append(meta("dataset", i >= 0 && i < datasets.size() ? datasets.get(i) : ""))
          .append("  </File>\n");
    }
    return x.append("</POOLFILECATALOG>\n").toString();
  }

  private static String catalog(Leased l) {
    return catalog(l.spec.jobId(), l.fields, l.stored);
  }

  private static String meta(String name, String value) {
    return "    <metadata att_name=\"" + name + "\" att_value=\"" + xml(value) + "\"/>\n";
  }

  private static String xml(String s) {
    return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    Leased l = leases.current(jobId, lease);
    synchronized (l) {
      reportFailed(jobId, l.agentId, GENERALERROR, "released by CoPilot agent " + l.agentId + ": " + reason);
      l.endedAt = clock.instant();
    }
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    leases.kill(jobId, reason);
  }

  @Override
  public int expireLeases() throws JobSourceException {
    return leases.expire(l -> {
      reportFailed(l.spec.jobId(), l.agentId, GENERALERROR, "CoPilot lease of agent " + l.agentId + " expired");
      log.warn("PanDA job {}: lease of {} expired; reported failed", l.spec.jobId(), l.agentId);
    });
  }

  @Override
  public void close() {
    client.close();
  }
}
