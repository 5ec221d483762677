package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.ErrorCode;

/** Retryable: the upstream queue (PanDA, AliEn, the generic queue's directory) could not be reached or read. */
public final class UpstreamUnavailableException extends JobSourceException {
  /** Creates the exception saying what failed. */
  public UpstreamUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ErrorCode code() {
    return ErrorCode.UPSTREAM_UNAVAILABLE;
  }
}
