package org.cernvm.copilot.jobmanager.generic;

/** Where a job of the generic queue stands. */
public enum JobStatus {
  /** Waiting for an agent. */
  QUEUED,
  /** Leased to an agent. */
  LEASED,
  /** Ended successfully. */
  DONE,
  /** Ended in failure, or its lease expired too often. */
  FAILED,
  /** Cancelled or killed on request. */
  KILLED;

  /** Whether the job has ended for good. */
  public boolean isTerminal() {
    return this == DONE || this == FAILED || this == KILLED;
  }
}
