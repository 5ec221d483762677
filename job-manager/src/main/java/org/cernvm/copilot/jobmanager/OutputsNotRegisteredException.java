package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.ErrorCode;

/**
 * Retryable: a job was reported successful before the storage adapter registered all its outputs; the
 * agent stores them and reports again.
 */
public final class OutputsNotRegisteredException extends JobSourceException {
  /** Creates the exception with a message naming the job and the outputs missing. */
  public OutputsNotRegisteredException(String message) {
    super(message, null);
  }

  @Override
  public ErrorCode code() {
    return ErrorCode.OUTPUTS_NOT_REGISTERED;
  }
}
