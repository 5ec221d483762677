package org.cernvm.copilot.protocol;

/** What an agent is doing with a job, as reported in heartbeats. */
public enum JobState {
  /** Fetching input files. */
  STAGING_IN,
  /** The payload runs. */
  RUNNING,
  /** The payload has ended; outputs are being checked or uploaded. */
  STAGING_OUT
}
