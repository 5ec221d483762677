package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.ErrorCode;

/**
 * Terminal: a sealed job ticket does not open with the job-manager group's key for the job, agent and
 * lease the message names: it was made by another service, for another job, or altered.
 */
public final class TicketRejectedException extends JobSourceException {
  /** Creates the exception with a message naming the job. */
  public TicketRejectedException(String message) {
    super(message, null);
  }

  @Override
  public ErrorCode code() {
    return ErrorCode.FORBIDDEN;
  }
}
