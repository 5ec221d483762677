package org.cernvm.copilot.testkit.panda;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The fake PanDA server's job dispatcher: its jobs and what {@code getJob} and {@code updateJob} do to
 * them, whichever API and encoding a call came in by. Parameters arrive under the legacy API's names;
 * answers are the dispatcher's fields with integers as integers, as PanDA's {@code Protocol.Response}
 * builds them. Thread-safe: every method holds the dispatcher's lock.
 */
final class PandaDispatcher {
  static final int SC_SUCCESS = 0;
  static final int SC_TIMEOUT = 10;
  static final int SC_NO_JOBS = 20;
  static final int SC_FAILED = 30;
  static final int SC_INVALID = 50;
  static final int SC_ROLE = 60;
  static final int SC_PERMS = 70;

  /** The states a pilot may report; any other is answered with success and ignored, as PanDA does. */
  static final Set<String> PILOT_STATES =
      Set.of("running", "failed", "finished", "holding", "starting", "transferring");
  /** At most this many jobs in one bulk answer, whatever {@code nJobs} asks. */
  static final int MAX_JOBS_PER_CALL = 1000;

  private final Clock clock;
  private final Duration heartbeatTimeout;
  private final Map<Long, PandaJob> jobs = new TreeMap<>();
  private long nextId = 4_700_000_001L;

  PandaDispatcher(Clock clock, Duration heartbeatTimeout) {
    this.clock = clock;
    this.heartbeatTimeout = heartbeatTimeout;
  }

  synchronized List<Long> submit(List<JobDefinition> definitions) {
    List<Long> ids = new ArrayList<>();
    for (JobDefinition d : definitions) {
      long id = nextId++;
      jobs.put(id, new PandaJob(id, d, clock.instant()));
      ids.add(id);
    }
    return ids;
  }

  synchronized List<JobView> list() {
    sweep();
    return jobs.values().stream().map(PandaJob::view).toList();
  }

  /**
   * The files of a dataset as Rucio would list them: every output of a finished job that went to
   * {@code dataset}, with the GUID, size and adler32 its final report gave, in PandaID order.
   */
  synchronized List<JobDefinition.Input> datasetFiles(String dataset) {
    sweep();
    List<JobDefinition.Input> files = new ArrayList<>();
    for (PandaJob j : jobs.values()) {
      if (!j.state.equals("finished")) {
        continue;
      }
      JobDefinition d = j.definition;
      for (int i = 0; i < d.outFiles().size(); i++) {
        PandaOutput o = j.outputs.get(d.outFiles().get(i));
        if (o != null && d.realDatasets().get(i).equals(dataset)) {
          files.add(new JobDefinition.Input(o.lfn(), o.guid(), o.fsize(), o.adler32(), d.scopeOut(), dataset, o.endpoint()));
        }
      }
    }
    return files;
  }

  /** Where the replica of {@code scope:lfn} at storage endpoint {@code endpoint} is stored, if a finished job stored it there. */
  synchronized Optional<String> replica(String endpoint, String scope, String lfn) {
    sweep();
    for (PandaJob j : jobs.values()) {
      PandaOutput o = j.outputs.get(lfn);
      if (o != null && j.state.equals("finished") && o.endpoint().equals(endpoint)
          && j.definition.scopeOut().equals(scope)) {
        return Optional.of(o.surl());
      }
    }
    return Optional.empty();
  }

  synchronized Optional<String> kill(long pandaId) {
    PandaJob j = jobs.get(pandaId);
    if (j == null) {
      return Optional.empty();
    }
    if (j.state.equals("defined") || j.state.equals("activated")) {
      j.move("cancelled", clock.instant(), "killed before dispatch");
    } else if (!j.isFinal()) {
      j.command = "tobekilled";
      j.history.add(clock.instant() + " kill requested");
    }
    return Optional.of(j.state);
  }

  /**
   * Fails dispatched jobs whose pilot has been silent for longer than the heartbeat timeout, and ends
   * jobs in {@code holding} with the final state their pilot reported, as PanDA's post-processing does.
   */
  synchronized void sweep() {
    Instant now = clock.instant();
    for (PandaJob j : jobs.values()) {
      if (j.state.equals("holding") && j.reportedFinal != null) {
        j.move(j.command != null ? "cancelled" : j.reportedFinal, now, "post-processed");
      } else if (j.isDispatched() && j.lastUpdate.plus(heartbeatTimeout).isBefore(now)) {
        j.pilotErrorCode = "1144";
        j.pilotErrorDiag = "lost heartbeat";
        j.move("failed", now, "lost heartbeat: no update for " + heartbeatTimeout);
      }
    }
  }

  static Map<String, Object> status(int code, String diag) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("StatusCode", code);
    if (diag != null && !diag.isEmpty()) {
      m.put("errorDialog", diag);
    }
    return m;
  }

  /**
   * Dispatches up to {@code n} jobs that fit the request; an empty list when none does.
   *
   * @param p the request's parameters: {@code prodSourceLabel}, {@code mem}, {@code diskSpace}, {@code node},
   *     {@code siteName}, {@code resourceType}
   */
  synchronized List<Map<String, Object>> dispatch(Map<String, String> p, int n) {
    sweep();
    String label = p.getOrDefault("prodSourceLabel", "managed");
    long mem = positive(p.get("mem"));
    long disk = positive(p.get("diskSpace"));
    String resourceType = p.getOrDefault("resourceType", "");
    String node = p.getOrDefault("node", "?");
    List<PandaJob> sent = new ArrayList<>();
    for (PandaJob j : jobs.values()) {
      if (sent.size() >= Math.min(n, MAX_JOBS_PER_CALL)) {
        break;
      }
      JobDefinition d = j.definition;
      if (j.state.equals("activated") && d.prodSourceLabel().equals(label) && fits(d, mem, disk, resourceType)) {
        j.node = node;
        j.move("sent", clock.instant(), "to " + node + " at " + p.getOrDefault("siteName", "?"));
        sent.add(j);
      }
    }
    List<Map<String, Object>> answers = new ArrayList<>();
    for (PandaJob j : sent) {
      Map<String, Object> m = jobFields(j);
      m.put("nSent", sent.size() - 1);
      answers.add(m);
    }
    return answers;
  }

  /** Whether a job fits a slot; a limit of 0 is no limit, as PanDA treats a missing or bad value. */
  private static boolean fits(JobDefinition d, long mem, long disk, String resourceType) {
    boolean typeFits = switch (resourceType) {
      case "SCORE", "SCORE_HIMEM" -> d.coreCount() == 1;
      case "MCORE", "MCORE_HIMEM" -> d.coreCount() > 1;
      default -> true;
    };
    return typeFits && (mem == 0 || d.minRamCount() <= mem) && (disk == 0 || d.maxDiskCount() <= disk);
  }

  private static long positive(String v) {
    try {
      return v == null ? 0 : Math.max(0, (long) Double.parseDouble(v.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The job's fields as {@code Protocol.Response.appendJob} lists them; the log is the last output. */
  private static Map<String, Object> jobFields(PandaJob j) {
    JobDefinition d = j.definition;
    Map<String, Object> m = status(SC_SUCCESS, "");
    List<String> outs = new ArrayList<>(d.outFiles());
    outs.add(d.logFile());
    List<String> dblocks = new ArrayList<>(d.destinationDblock());
    dblocks.add(logDataset(d.destinationDblock().isEmpty() ? d.jobName() : d.destinationDblock().get(0)));
    List<String> datasets = new ArrayList<>(d.realDatasets());
    datasets.add(logDataset(d.realDatasets().isEmpty() ? d.jobName() : d.realDatasets().get(0)));
    m.put("PandaID", j.pandaId);
    m.put("jobName", d.jobName());
    m.put("jobDefinitionID", d.taskID());
    m.put("prodSourceLabel", d.prodSourceLabel());
    m.put("swRelease", d.swRelease());
    m.put("homepackage", d.homepackage());
    m.put("transformation", d.transformation());
    m.put("jobPars", d.jobPars());
    m.put("attemptNr", 1);
    m.put("cloud", "CERN");
    m.put("cmtConfig", d.cmtConfig());
    m.put("processingType", d.processingType());
    m.put("transferType", "");
    m.put("taskID", d.taskID());
    m.put("jobsetID", d.jobsetID());
    m.put("reqID", 1);
    List<JobDefinition.Input> in = d.inputs();
    m.put("inFiles", join(in, JobDefinition.Input::lfn));
    m.put("realDatasetsIn", join(in, JobDefinition.Input::dataset));
    m.put("GUID", join(in, JobDefinition.Input::guid));
    m.put("fsize", join(in, i -> Long.toString(i.fsize())));
    m.put("checksum", join(in, i -> "ad:" + i.adler32()));
    m.put("scopeIn", join(in, JobDefinition.Input::scope));
    m.put("ddmEndPointIn", join(in, JobDefinition.Input::endpoint));
    m.put("prodDBlocks", join(in, JobDefinition.Input::dataset));
    m.put("prodDBlockToken", repeat("NULL", in.size()));
    m.put("dispatchDblock", join(in, JobDefinition.Input::dataset));
    m.put("dispatchDBlockToken", repeat("NULL", in.size()));
    m.put("dispatchDBlockTokenForOut", repeat("NULL", outs.size()));
    m.put("outFiles", String.join(",", outs));
    m.put("destinationDblock", String.join(",", dblocks));
    m.put("realDatasets", String.join(",", datasets));
    m.put("scopeOut", repeat(d.scopeOut(), d.outFiles().size()));
    m.put("scopeLog", d.scopeOut());
    m.put("ddmEndPointOut", repeat(d.ddmEndPointOut(), outs.size()));
    m.put("destinationDBlockToken", repeat("NULL", outs.size()));
    m.put("fileDestinationSE", repeat("CERN-COPILOT", outs.size()));
    m.put("destinationSE", "CERN-COPILOT");
    m.put("logFile", d.logFile());
    m.put("logGUID", j.logGuid);
    m.put("prodUserID", "copilot-testbed");
    m.put("coreCount", d.coreCount());
    m.put("minRamCount", d.minRamCount());
    m.put("maxDiskCount", d.maxDiskCount());
    m.put("maxCpuCount", d.maxWalltime() * d.coreCount());
    m.put("maxWalltime", d.maxWalltime());
    m.put("resource_type", d.coreCount() > 1 ? "MCORE" : "SCORE");
    m.put("currentPriority", 900);
    m.put("sourceSite", "");
    m.put("nucleus", "CERN-COPILOT");
    return m;
  }

  private static String join(List<JobDefinition.Input> inputs, java.util.function.Function<JobDefinition.Input, String> field) {
    return String.join(",", inputs.stream().map(field).toList());
  }

  /** The log's dataset beside an output dataset: ATLAS names it with {@code log} where the data type was. */
  private static String logDataset(String dataset) {
    return dataset.contains(".EVNT.") ? dataset.replace(".EVNT.", ".log.") : dataset + ".log";
  }

  private static String repeat(String value, int times) {
    return String.join(",", java.util.Collections.nCopies(times, value));
  }

  /**
   * Applies a pilot's update and answers it: {@code command} is {@code tobekilled} or {@code NULL}. An
   * update naming no job ({@code jobId=NULL}) or an unknown state is answered with success and changes
   * nothing; {@code finished} and {@code failed} move the job to {@code holding}, which the next sweep
   * ends. A finished job's report must list every output and the log with its GUID, size and checksum;
   * a failed job's may list its log.
   */
  synchronized Map<String, Object> update(Map<String, String> p) {
    sweep();
    String jobId = p.getOrDefault("jobId", "NULL");
    String state = p.getOrDefault("state", "");
    if (jobId.equals("NULL") || !PILOT_STATES.contains(state)) {
      return status(SC_SUCCESS, "");
    }
    PandaJob j = jobs.get(PandaParams.parseLong(jobId, -1));
    if (j == null) {
      return status(SC_FAILED, "unknown jobId");
    }
    Instant now = clock.instant();
    boolean finalReport = state.equals("finished") || state.equals("failed");
    if (j.isFinal() || j.reportedFinal != null) {
      String ended = j.reportedFinal != null ? j.reportedFinal : j.state;
      if (state.equals(ended) || j.state.equals("cancelled")) {
        return answer(j, "alreadydone");
      }
      if (finalReport) {
        j.history.add(now + " refused " + state + ": already " + ended);
      }
      return status(SC_FAILED, "job " + j.pandaId + " is already " + ended);
    }
    if (j.state.equals("defined") || j.state.equals("activated")) {
      return status(SC_FAILED, "job " + j.pandaId + " was not dispatched");
    }
    // An update names the node the job runs on, as a pilot's does; a job prefetched in bulk was dispatched
    // to its fetcher's node and learns its worker's here.
    if (!p.getOrDefault("node", "").isBlank()) {
      j.node = p.get("node");
    }
    j.cpuConsumptionTime = PandaParams.parseLong(p.get("cpuConsumptionTime"), j.cpuConsumptionTime);
    j.nEvents = PandaParams.parseLong(p.get("nEvents"), j.nEvents);
    j.coreCountReported = PandaParams.parseLong(p.get("coreCount"), j.coreCountReported);
    if (p.containsKey("jobMetrics")) {
      String metrics = p.get("jobMetrics");
      j.jobMetrics = metrics.length() > 500 ? metrics.substring(0, 500) : metrics;
    }
    if (finalReport) {
      if (state.equals("finished")) {
        List<String> required = new ArrayList<>(j.definition.outFiles());
        required.add(j.definition.logFile());
        PilotReport.Result report = PilotReport.read(p.getOrDefault("xml", ""), required);
        if (report.problem() != null) {
          return status(SC_FAILED, report.problem());
        }
        j.outputs.clear();
        for (PandaOutput f : report.files()) {
          j.outputs.put(f.lfn(), f);
        }
      } else {
        j.pilotErrorCode = p.getOrDefault("pilotErrorCode", "0");
        j.pilotErrorDiag = p.getOrDefault("pilotErrorDiag", "");
        // A failed job's report lists its log, when the pilot could store it.
        PilotReport.Result report = PilotReport.read(p.getOrDefault("xml", ""), List.of());
        if (report.problem() == null) {
          for (PandaOutput f : report.files()) {
            j.outputs.put(f.lfn(), f);
          }
        }
      }
      j.reportedFinal = state;
      j.move("holding", now, "final report: " + state
          + (state.equals("failed") ? " " + j.pilotErrorCode + " " + j.pilotErrorDiag : ""));
      return answer(j, null);
    }
    if (!state.equals(j.state) && !(j.state.equals("transferring") && state.equals("running"))) {
      j.move(state, now, "");
    } else {
      j.lastUpdate = now;
    }
    return answer(j, null);
  }

  private static Map<String, Object> answer(PandaJob j, String command) {
    Map<String, Object> m = status(SC_SUCCESS, "");
    m.put("command", command != null ? command : j.command != null ? j.command : "NULL");
    return m;
  }
}
