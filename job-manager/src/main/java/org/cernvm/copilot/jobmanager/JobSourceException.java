package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.ErrorCode;

/** A {@link JobSource} refused or failed an operation; {@link #code()} says how to answer the agent. */
public abstract sealed class JobSourceException extends Exception
    permits LeaseFencedException, NotLeaseHolderException, UnknownJobException, UpstreamUnavailableException,
        OutputsNotRegisteredException, TicketRejectedException {
  JobSourceException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The error code the job manager answers with. */
  public abstract ErrorCode code();
}
