package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.ErrorCode;

/** Terminal: the lease quoted is not the job's current lease (it expired and the job was leased again, or the job ended). */
public final class LeaseFencedException extends JobSourceException {
  /** Creates the exception with a message naming the job and both leases. */
  public LeaseFencedException(String message) {
    super(message, null);
  }

  @Override
  public ErrorCode code() {
    return ErrorCode.FENCED;
  }
}
