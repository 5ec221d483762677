package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.ErrorCode;

/** Terminal: an agent quoted a lease that was issued to another agent. */
public final class NotLeaseHolderException extends JobSourceException {
  /** Creates the exception for {@code agentId} quoting the lease of {@code holder}. */
  public NotLeaseHolderException(String jobId, String lease, String holder, String agentId) {
    super("lease " + lease + " of job " + jobId + " is held by " + holder + ", not " + agentId, null);
  }

  @Override
  public ErrorCode code() {
    return ErrorCode.FORBIDDEN;
  }
}
