package org.cernvm.copilot.panda;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.cernvm.copilot.jobmanager.HandOver;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.Leases;
import org.cernvm.copilot.jobmanager.RegisteredOutputs;
import org.cernvm.copilot.jobmanager.TicketedJob;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.FileCheck;
import org.cernvm.copilot.protocol.FileNames;
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
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.ShellWords;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Untrusted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ATLAS jobs from PanDA, as a {@link JobSource}: it calls {@code getJob} on behalf of an agent (its slot's
 * memory and disk as the pilot's {@code mem} and {@code diskSpace} in MB, its cores as the resource type
 * {@code SCORE} or {@code MCORE}), turns the PanDA job
 * into a CoPilot job (the transform from the release area, {@code jobPars} as arguments, the output LFNs
 * as outputs), relays heartbeats as {@code updateJob state=running} at most every
 * {@link PandaConfig#updateInterval()}, turns {@code command=tobekilled} into a kill, and reports the end:
 * {@code finished} with pilot3's JSON report of the stored outputs (per LFN: GUID, size, adler32, SURL,
 * storage endpoint) and the log tarball, or {@code failed} with the pilot error code of the agent's failure kind,
 * either with the events, CPU time and job metrics the payload's {@code jobReport.json} gave.
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
  static final int NOLOCALSPACE = 1098;
  static final int STAGEINFAILED = 1099;
  static final int REPLICANOTFOUND = 1100;
  static final int NOSUCHFILE = 1103;
  static final int GETMD5MISMATCH = 1145;
  static final int GETTIMEOUT = 1151;
  static final int GETADMISMATCH = 1171;
  static final int STAGEOUTFAILED = 1137;
  static final int PANDAKILL = 1144;
  static final int MISSINGOUTPUTFILE = 1165;
  static final int KILLSIGNAL = 1200;
  static final int MISSINGINSTALLATION = 1211;
  static final int REACHEDMAXTIME = 1213;
  static final int LOGFILECREATIONFAILURE = 1320;
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
    Map<String, String> answer = client.call("getJob", getJobForm(agentId, resources));
    if (isEmpty(answer)) {
      return Optional.empty();
    }
    Optional<Claim> claim = lease(answer, agentId, resources.cores(), leaseTime);
    if (claim.isPresent()) {
      Leased l = leases.get(claim.get().job().jobId());
      synchronized (l) {
        try {
          update(l, "starting", Map.of());
        } catch (UpstreamUnavailableException e) {
          log.warn("PanDA job {}: could not report 'starting': {}", l.spec.jobId(), Untrusted.text(e.getMessage()));
        }
      }
    }
    return claim;
  }

  @Override
  public int maxClaimBatch() {
    return config.jobsPerCall();
  }

  /**
   * Claims up to {@code max} jobs in one {@code getJob} with {@code nJobs}, as Harvester prefetches them, for
   * {@code holder} (the job manager's prefetch); PanDA keeps them {@code sent} until the agent that gets one
   * reports it {@code running} from its node.
   */
  @Override
  public List<Claim> claim(String holder, Resources resources, Duration leaseTime, int max)
      throws JobSourceException {
    if (max <= 1) {
      return claim(holder, resources, leaseTime).map(List::of).orElse(List.of());
    }
    if (!hasWorkFor(resources)) {
      return List.of();
    }
    Map<String, String> form = getJobForm(holder, resources);
    form.put("nJobs", Integer.toString(Math.min(max, config.jobsPerCall())));
    Map<String, String> answer = client.call("getJob", form);
    if (isEmpty(answer)) {
      return List.of();
    }
    List<Claim> claims = new ArrayList<>();
    for (Map<String, String> job : PandaClient.jobs(answer.get("jobs"))) {
      lease(job, holder, resources.cores(), leaseTime).ifPresent(claims::add);
    }
    log.info("PanDA gave {} job(s) for {} asked", claims.size(), form.get("nJobs"));
    return claims;
  }

  private Map<String, String> getJobForm(String node, Resources resources) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("siteName", config.siteName());
    form.put("computingElement", config.computingElement());
    form.put("prodSourceLabel", config.prodSourceLabel());
    form.put("node", node);
    // Memory and disk in MB as pilot3 sends them; cores as PanDA's resource type, since the dispatcher's
    // cpu parameter is the CPU's clock in MHz, which an agent does not report.
    form.put("mem", Long.toString(resources.memoryMb()));
    form.put("diskSpace", Long.toString(resources.diskMb()));
    form.put("resourceType", resources.cores() > 1 ? "MCORE" : "SCORE");
    form.put("getProxyKey", "False");
    return form;
  }

  /** Whether PanDA answered that it has no job (or failed to give one); then it is not asked for a while. */
  private boolean isEmpty(Map<String, String> answer) {
    String code = answer.get("StatusCode");
    if (code.equals("0")) {
      return false;
    }
    emptyUntil = clock.instant().plus(config.emptyPause());
    if (code.equals("30")) {
      log.warn("PanDA getJob failed: {}", Untrusted.text(answer.getOrDefault("errorDialog", "StatusCode 30")));
    }
    return true;
  }

  /** Leases one job PanDA gave to {@code agentId}, or reports it failed when it cannot run here. */
  private Optional<Claim> lease(Map<String, String> job, String agentId, int cores, Duration leaseTime) {
    String pandaId = job.get("PandaID");
    Instant now = clock.instant();
    JobSpec spec;
    try {
      spec = translate(job, cores);
    } catch (Unrunnable e) {
      log.warn("PanDA job {} cannot run here: {}; reporting it failed", Untrusted.text(pandaId),
          Untrusted.text(e.getMessage()));
      try {
        reportFailed(pandaId, agentId, e.pilotErrorCode, "CoPilot: " + e.getMessage());
      } catch (UpstreamUnavailableException failed) {
        log.warn("PanDA job {}: could not report it failed: {}", Untrusted.text(pandaId),
            Untrusted.text(failed.getMessage()));
      }
      return Optional.empty();
    }
    Lease lease = new Lease(MessageIds.next(), 1, now.plus(leaseTime));
    leases.put(new Leased(spec, lease, agentId, job, now, now));
    log.info("PanDA job {} ({} {}) leased to {}", pandaId, Untrusted.text(spec.command()),
        Untrusted.text(job.get("outFiles")), agentId);
    return Optional.of(new Claim(spec, lease, PandaClient.encode(job)));
  }

  /**
   * Hands a prefetched job to an agent; its first heartbeat is relayed at once, so that PanDA learns the
   * job's node and that it runs.
   */
  @Override
  public void assign(HandOver h) throws JobSourceException {
    Leased l = leases.assign(h.claim().job().jobId(), h.claim().lease().ref(), h.holder(), h.agentId(), h.deadline());
    synchronized (l) {
      l.lastUpdate = Instant.MIN;
    }
    log.info("PanDA job {} handed to {}", h.claim().job().jobId(), h.agentId());
  }


  /** A PanDA job this adapter cannot run, with the pilot error code its failed report carries. */
  static final class Unrunnable extends Exception {
    private static final long serialVersionUID = 1L;
    final int pilotErrorCode;

    Unrunnable(int pilotErrorCode, String message) {
      super(message);
      this.pilotErrorCode = pilotErrorCode;
    }
  }

  /** The CoPilot job for a PanDA job's fields; throws naming what cannot be run here. */
  JobSpec translate(Map<String, String> f, int slotCores) throws Unrunnable {
    String transformation = f.getOrDefault("transformation", "");
    if (transformation.isBlank() || transformation.contains("/") || transformation.contains("..")) {
      throw new Unrunnable(MISSINGINSTALLATION, "transformation '" + transformation + "' is not a transform name");
    }
    // The log tarball is the last of outFiles; the agent makes it, not the payload.
    List<String> outputs = new ArrayList<>(split(f.getOrDefault("outFiles", "")));
    outputs.remove(f.getOrDefault("logFile", ""));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PandaID", f.get("PandaID"));
    env.put("PANDA_TASKID", f.getOrDefault("taskID", ""));
    env.put("ATLAS_HOMEPACKAGE", f.getOrDefault("homepackage", ""));
    env.put("ATLAS_SWRELEASE", f.getOrDefault("swRelease", ""));
    try {
      // The release area is the agents' (CVMFS on the VM), not this host's: an agent without the transform
      // fails the job when it cannot start it.
      java.nio.file.Path transform = config.releaseDir().resolve(transformation);
      outputs.forEach(o -> FileNames.check(o, "outFiles"));
      List<InputFile> inputs = inputs(f);
      String coreCount = f.getOrDefault("coreCount", "1");
      // A job asking for more cores than the slot has runs on the slot's: PanDA sizes jobs by the queue,
      // not by the slot a request came from.
      int asked = coreCount.isBlank() || coreCount.equals("NULL") ? 1 : Math.max(1, Integer.parseInt(coreCount));
      int cores = Math.min(asked, slotCores);
      env.put("ATHENA_PROC_NUMBER", Integer.toString(cores));
      String pandaId = f.get("PandaID");
      String logFile = f.getOrDefault("logFile", "");
      JobLog log = new JobLog(logFile.isBlank() || logFile.equals("NULL") ? "log." + pandaId + ".job.log.tgz" : logFile,
          "tarball_PandaJob_" + pandaId + "_" + config.siteName());
      return new JobSpec(pandaId, "panda", "ATLAS", transform.toString(),
          ShellWords.split(f.getOrDefault("jobPars", "")), env, inputs, outputs, log, config.ttl(), cores);
    } catch (IllegalArgumentException e) {
      throw new Unrunnable(GENERALERROR, e.getMessage());
    }
  }

  /**
   * The job's inputs from its parallel lists ({@code inFiles}, {@code fsize}, {@code checksum},
   * {@code scopeIn}, {@code ddmEndPointIn}), each replica at {@code ENDPOINT_URL/SCOPE/LFN} of
   * {@link PandaConfig#endpoints()}, which stands in for Rucio's replica lookup.
   */
  private List<InputFile> inputs(Map<String, String> f) throws Unrunnable {
    List<String> lfns = split(f.getOrDefault("inFiles", "NULL").equals("NULL") ? "" : f.get("inFiles"));
    List<String> sizes = split(f.getOrDefault("fsize", ""));
    List<String> checksums = split(f.getOrDefault("checksum", ""));
    List<String> scopes = split(f.getOrDefault("scopeIn", ""));
    List<String> endpoints = split(f.getOrDefault("ddmEndPointIn", ""));
    if (sizes.size() != lfns.size() || checksums.size() != lfns.size() || scopes.size() != lfns.size()
        || endpoints.size() != lfns.size()) {
      throw new Unrunnable(STAGEINFAILED, "inFiles, fsize, checksum, scopeIn and ddmEndPointIn differ in length");
    }
    List<InputFile> inputs = new ArrayList<>();
    for (int i = 0; i < lfns.size(); i++) {
      String base = config.endpoints().get(endpoints.get(i));
      if (base == null) {
        throw new Unrunnable(REPLICANOTFOUND, "no replica of input " + lfns.get(i) + ": storage endpoint "
            + endpoints.get(i) + " is not in panda.endpoints");
      }
      List<FileCheck> checks = new ArrayList<>();
      if (sizes.get(i).matches("\\d{1,17}")) {
        checks.add(FileCheck.size(Long.parseLong(sizes.get(i))));
      }
      String sum = checksums.get(i).toLowerCase(java.util.Locale.ROOT);
      if (sum.startsWith("ad:") && sum.substring(3).matches("[0-9a-f]{1,8}")) {
        checks.add(FileCheck.adler32("0".repeat(11 - sum.length()) + sum.substring(3)));
      } else if (sum.startsWith("md5:") && sum.substring(4).matches("[0-9a-f]{32}")) {
        checks.add(FileCheck.md5(sum.substring(4)));
      } else if (!sum.isEmpty() && !sum.equals("null")) {
        throw new Unrunnable(STAGEINFAILED, "input " + lfns.get(i) + " has a checksum CoPilot cannot read: " + sum);
      }
      inputs.add(new InputFile(lfns.get(i), base + "/" + scopes.get(i) + "/" + lfns.get(i), checks));
    }
    return inputs;
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
        if (!"0".equals(answer.get("StatusCode")) || "alreadydone".equals(answer.get("command"))) {
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
      Map<String, String> extra = new LinkedHashMap<>(workFields(done, l.spec.cores()));
      extra.put("transExitCode", Integer.toString(Math.max(done.exitCode(), 0)));
      String state;
      if (done.outcome() == Outcome.SUCCEEDED) {
        state = "finished";
        extra.put("xml", report(l));
      } else {
        state = "failed";
        extra.putAll(failedForm(pilotErrorCode(done, l.killedByPanda), done.diagnostic()));
        if (!l.stored.isEmpty()) {
          extra.put("xml", report(l));
        }
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

  /**
   * The final report's account of the work as pilot3 gives it: {@code cpuConsumptionTime} in seconds (the
   * payload's own count when its report has one, else the agent's measure of its process tree),
   * {@code nEvents} when the payload's report has them, and {@code jobMetrics} ({@code coreCount},
   * {@code nEvents}, {@code workDirSize} in bytes, as far as known).
   */
  static Map<String, String> workFields(JobDone done, int cores) {
    PayloadReport r = done.report();
    Map<String, String> f = new LinkedHashMap<>();
    long cpu = r.cpuSeconds() >= 0 ? r.cpuSeconds() : Math.round(done.usage().cpuSeconds());
    f.put("cpuConsumptionTime", Long.toString(cpu));
    f.put("cpuConsumptionUnit", "s");
    StringBuilder metrics = new StringBuilder("coreCount=").append(cores);
    if (r.events() >= 0) {
      f.put("nEvents", Long.toString(r.events()));
      metrics.append(" nEvents=").append(r.events());
    }
    if (r.workDirBytes() >= 0) {
      metrics.append(" workDirSize=").append(r.workDirBytes());
    }
    f.put("jobMetrics", metrics.toString());
    return f;
  }

  /** The pilot error code (pilot3 {@code ErrorCodes}) of a job's end, from the agent's failure kind. */
  static int pilotErrorCode(JobDone done, boolean killedByPanda) {
    if (done.outcome() == Outcome.RELEASED) {
      throw new IllegalArgumentException("a released job is handed back with release(), not finished");
    }
    return switch (done.failure()) {
      case NONE -> 0;
      case STAGE_IN, STAGE_IN_SIZE_MISMATCH -> STAGEINFAILED;
      case STAGE_IN_NOT_FOUND -> NOSUCHFILE;
      case STAGE_IN_TIMEOUT -> GETTIMEOUT;
      case STAGE_IN_ADLER32_MISMATCH -> GETADMISMATCH;
      case STAGE_IN_MD5_MISMATCH -> GETMD5MISMATCH;
      case NO_LOCAL_SPACE -> NOLOCALSPACE;
      case MISSING_INSTALLATION -> MISSINGINSTALLATION;
      case PAYLOAD -> done.exitCode() > 0 ? UNKNOWNPAYLOADFAILURE : GENERALERROR;
      case LOST -> GENERALERROR;
      case MISSING_OUTPUT -> MISSINGOUTPUTFILE;
      case STAGE_OUT -> STAGEOUTFAILED;
      case LOG -> LOGFILECREATIONFAILURE;
      case TTL -> REACHEDMAXTIME;
      case KILLED -> killedByPanda ? PANDAKILL : KILLSIGNAL;
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

  /**
   * The final report of the stored outputs and log as pilot3 sends it and today's server reads it: JSON
   * keyed by LFN, each with its GUID (the job's {@code logGUID} for the log), size, adler32, SURL and storage
   * endpoint (the job's {@code ddmEndPointOut} for that file, or {@link PandaConfig#storageEndpoint()}).
   */
  static String report(String pandaId, Map<String, String> fields, List<StoredFile> stored, String defaultEndpoint) {
    List<String> lfns = split(fields.getOrDefault("outFiles", ""));
    List<String> endpoints = split(fields.getOrDefault("ddmEndPointOut", ""));
    String logGuid = fields.getOrDefault("logGUID", "");
    boolean hasLogGuid = !logGuid.isBlank() && !logGuid.equals("NULL");
    ObjectNode report = PandaClient.JSON.createObjectNode();
    for (StoredFile s : stored) {
      String lfn = s.file().name();
      int i = lfns.indexOf(lfn);
      ObjectNode f = report.putObject(lfn);
      f.put("guid", hasLogGuid && lfn.equals(fields.get("logFile")) ? logGuid
          : UUID.nameUUIDFromBytes((pandaId + "/" + lfn).getBytes(StandardCharsets.UTF_8)).toString()
              .toUpperCase(java.util.Locale.ROOT));
      f.put("fsize", s.file().sizeBytes());
      f.put("adler32", s.file().adler32());
      f.put("surl", s.location());
      f.put("endpoint", i >= 0 && i < endpoints.size() ? endpoints.get(i) : defaultEndpoint);
    }
    return report.toString();
  }

  private String report(Leased l) {
    return report(l.spec.jobId(), l.fields, l.stored, config.storageEndpoint());
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
