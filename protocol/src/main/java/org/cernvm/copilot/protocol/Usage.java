package org.cernvm.copilot.protocol;

import java.time.Duration;

/**
 * Resources a payload has used so far.
 *
 * @param wallTime time since the payload started
 * @param cpuSeconds user plus system CPU time of the payload's whole process tree
 * @param rssMb resident memory of the process tree now, in MiB
 * @param peakRssMb highest resident memory of the process tree seen, in MiB
 */
public record Usage(Duration wallTime, double cpuSeconds, long rssMb, long peakRssMb) {
  public Usage {
    Checks.notNegative(wallTime, "wallTime");
    Checks.notNegative(cpuSeconds, "cpuSeconds");
    Checks.notNegative(rssMb, "rssMb");
    Checks.notNegative(peakRssMb, "peakRssMb");
  }

  /** Nothing used yet. */
  public static Usage none() {
    return new Usage(Duration.ZERO, 0, 0, 0);
  }
}
