package org.cernvm.copilot.protocol;

/**
 * Why a job did not succeed, as the agent knows it, in {@link JobDone}: a kind each adapter maps to its
 * upstream's own codes (PanDA's pilot error codes, AliEn's {@code ERROR_*} states), so that no adapter reads
 * meaning out of the diagnostic text.
 */
public enum FailureKind {
  /** Nothing failed: the job succeeded, or was handed back unfinished ({@link Outcome#RELEASED}). */
  NONE,
  /** An input could not be fetched for another reason than those below. */
  STAGE_IN,
  /** An input's source answered that it does not have the file. */
  STAGE_IN_NOT_FOUND,
  /** Fetching an input took longer than the agent allows. */
  STAGE_IN_TIMEOUT,
  /** A fetched input's size differs from the size the job names. */
  STAGE_IN_SIZE_MISMATCH,
  /** A fetched input's adler32 differs from the one the job names. */
  STAGE_IN_ADLER32_MISMATCH,
  /** A fetched input's md5 differs from the one the job names. */
  STAGE_IN_MD5_MISMATCH,
  /** The job's working directory has less free space than its inputs need. */
  NO_LOCAL_SPACE,
  /** The payload's command could not be started (not installed, not executable). */
  MISSING_INSTALLATION,
  /** The payload exited non-zero, or its outputs could not be read. */
  PAYLOAD,
  /** The payload exited 0 but did not leave every expected output. */
  MISSING_OUTPUT,
  /** The outputs could not be stored. */
  STAGE_OUT,
  /** The job's log tarball could not be made. */
  LOG,
  /** The payload ran longer than its TTL and was killed ({@link Outcome#TTL_EXCEEDED}). */
  TTL,
  /** The payload was killed on a {@code kill} command or because the lease was lost ({@link Outcome#KILLED}). */
  KILLED,
  /**
   * The agent running the job fell silent and its lease ran out for the last time: a job manager's
   * record of the end, never an agent's.
   */
  LOST;

  /**
   * The kind an outcome other than {@link Outcome#FAILED} implies: none for a success or a job handed
   * back, {@link #KILLED} and {@link #TTL} for the kills.
   *
   * @throws IllegalArgumentException for {@link Outcome#FAILED}, whose kind only the failure knows
   */
  public static FailureKind of(Outcome outcome) {
    return switch (outcome) {
      case SUCCEEDED, RELEASED -> NONE;
      case KILLED -> KILLED;
      case TTL_EXCEEDED -> TTL;
      case FAILED -> throw new IllegalArgumentException("a failed job's kind is the failure's, not the outcome's");
    };
  }

  /** Whether this kind is one of an input's failures. */
  public boolean isStageIn() {
    return switch (this) {
      case STAGE_IN, STAGE_IN_NOT_FOUND, STAGE_IN_TIMEOUT, STAGE_IN_SIZE_MISMATCH, STAGE_IN_ADLER32_MISMATCH,
          STAGE_IN_MD5_MISMATCH, NO_LOCAL_SPACE -> true;
      case NONE, MISSING_INSTALLATION, PAYLOAD, MISSING_OUTPUT, STAGE_OUT, LOG, TTL, KILLED, LOST -> false;
    };
  }

  /** Whether a job that ended with {@code outcome} may carry this kind. */
  public boolean fits(Outcome outcome) {
    return switch (outcome) {
      case SUCCEEDED, RELEASED -> this == NONE;
      case KILLED -> this == KILLED;
      case TTL_EXCEEDED -> this == TTL;
      case FAILED -> this != NONE && this != KILLED && this != TTL;
    };
  }
}
