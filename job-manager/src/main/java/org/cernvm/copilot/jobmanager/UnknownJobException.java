package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.ErrorCode;

/** Terminal: the job source has no job with this id. */
public final class UnknownJobException extends JobSourceException {
  /** Creates the exception for {@code jobId}. */
  public UnknownJobException(String jobId) {
    super("unknown job " + jobId, null);
  }

  @Override
  public ErrorCode code() {
    return ErrorCode.UNKNOWN_JOB;
  }
}
