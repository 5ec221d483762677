package org.cernvm.copilot.protocol;

/** How a job ended, as the agent reports it in {@link JobDone}. */
public enum Outcome {
  /** The payload exited 0 and left every expected output. */
  SUCCEEDED,
  /** The payload exited non-zero, or an expected output is missing, or inputs could not be staged. */
  FAILED,
  /** The payload was killed on a {@code kill} command. */
  KILLED,
  /** The payload was killed because it ran longer than its TTL. */
  TTL_EXCEEDED,
  /**
   * The agent gave the job back unfinished, its payload killed, because its VM is going away (a spot
   * notice, SIGTERM): the job manager hands the lease back to the source, which runs the job again
   * elsewhere instead of failing it.
   */
  RELEASED
}
