package org.cernvm.copilot.testkit.panda;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fake PanDA server's record of one job. Mutable; every access holds the server's lock.
 */
final class PandaJob {
  final long pandaId;
  final JobDefinition definition;
  final List<String> history = new ArrayList<>();
  final Map<String, PandaOutput> outputs = new LinkedHashMap<>();
  String state;
  Instant lastUpdate;
  String node;
  String command;
  String pilotErrorCode = "0";
  String pilotErrorDiag = "";
  /** The GUID of the job's log, given at submission as PanDA gives it. */
  final String logGuid = java.util.UUID.randomUUID().toString().toUpperCase(java.util.Locale.ROOT);
  long cpuConsumptionTime;
  long nEvents;
  long coreCountReported;
  String jobMetrics = "";
  /** The final state the pilot reported, while the job is in {@code holding} and after. */
  String reportedFinal;

  PandaJob(long pandaId, JobDefinition definition, Instant now) {
    this.pandaId = pandaId;
    this.definition = definition;
    move("defined", now, "submitted");
    move("activated", now, "brokered");
  }

  void move(String to, Instant now, String why) {
    state = to;
    lastUpdate = now;
    history.add(now + " " + to + (why.isEmpty() ? "" : ": " + why));
  }

  JobView view() {
    return new JobView(pandaId, state, definition.transformation(), node, pilotErrorCode, pilotErrorDiag,
        cpuConsumptionTime, nEvents, jobMetrics, List.copyOf(outputs.values()), List.copyOf(history));
  }

  boolean isFinal() {
    return state.equals("finished") || state.equals("failed") || state.equals("cancelled");
  }

  boolean isDispatched() {
    return List.of("sent", "starting", "running", "transferring", "holding").contains(state);
  }
}
