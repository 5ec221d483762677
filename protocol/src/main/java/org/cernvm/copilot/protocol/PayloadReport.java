package org.cernvm.copilot.protocol;

/**
 * What a job's payload says of its own work in the report it leaves (an ATLAS transform's
 * {@code jobReport.json}), and the size of the job's directory at its end, as an agent sends them in
 * {@code jobDone}; PanDA takes them as {@code nEvents}, {@code cpuConsumptionTime} and {@code jobMetrics}.
 * Each figure is {@code -1} when unknown: the payload left no report, or its report lacked the figure.
 *
 * @param events the events the payload processed
 * @param cpuSeconds the CPU seconds the payload's report counts (the agent's own measure is in {@link Usage})
 * @param workDirBytes the bytes in the job's directory when the payload ended
 */
public record PayloadReport(long events, long cpuSeconds, long workDirBytes) {
  /** Nothing known. */
  public static final PayloadReport UNKNOWN = new PayloadReport(-1, -1, -1);

  public PayloadReport {
    known(events, "events");
    known(cpuSeconds, "cpuSeconds");
    known(workDirBytes, "workDirBytes");
  }

  private static void known(long value, String field) {
    if (value < -1) {
      throw new IllegalArgumentException("field '" + field + "' must be a count or -1 for unknown: " + value);
    }
  }
}
