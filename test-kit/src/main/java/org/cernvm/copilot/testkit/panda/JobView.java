package org.cernvm.copilot.testkit.panda;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * What the fake PanDA server shows of a job through its admin endpoint.
 *
 * @param pandaId the PandaID
 * @param state the PanDA job state
 * @param transformation the transform
 * @param node the node (agent) it was dispatched to, or {@code null}
 * @param pilotErrorCode the pilot error code of a failed job, {@code 0} otherwise
 * @param pilotErrorDiag the pilot's diagnostic
 * @param cpuConsumptionTime the CPU seconds last reported
 * @param nEvents the events the job's final report said it processed
 * @param jobMetrics the job's metrics as last reported ({@code key=value ...})
 * @param outputs the outputs reported when it finished
 * @param history one line per change
 */
public record JobView(long pandaId, String state, String transformation, String node, String pilotErrorCode,
    String pilotErrorDiag, long cpuConsumptionTime, long nEvents, String jobMetrics, List<PandaOutput> outputs, List<String> history) {
  /** Whether the job is finished, failed or cancelled. */
  @JsonIgnore
  public boolean isFinal() {
    return state.equals("finished") || state.equals("failed") || state.equals("cancelled");
  }
}
