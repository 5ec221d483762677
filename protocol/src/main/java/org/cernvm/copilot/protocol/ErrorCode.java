package org.cernvm.copilot.protocol;

/** The typed reason carried by an {@link ErrorReply}; each has a default retryability. */
public enum ErrorCode {
  /** The body was not valid JSON. */
  MALFORMED(false),
  /** The {@code verb} property names no known verb. */
  UNKNOWN_VERB(false),
  /** A required field was absent or null. */
  MISSING_FIELD(false),
  /** A field had the wrong type or an invalid value. */
  INVALID_FIELD(false),
  /** The body exceeded the size limit. */
  TOO_LARGE(false),
  /** The receiver does not handle this verb. */
  UNSUPPORTED(false),
  /** No job matches the offered resources now; ask again later. */
  NO_JOB(true),
  /** The lease quoted is not the job's current lease: the job was leased again or has ended. */
  FENCED(false),
  /** The job is unknown to the receiver. */
  UNKNOWN_JOB(false),
  /** The agent has been told to drain and is handed no more work. */
  DRAINING(false),
  /** The sender may not do this. */
  FORBIDDEN(false),
  /** The message is unsigned, its signature does not verify, or its certificate is not acceptable. */
  UNAUTHENTICATED(false),
  /** The message was seen before or sent outside the accepted time window. */
  REPLAYED(false),
  /**
   * The message was sent before the receiver started; a fresh message, with a new id and send time, is
   * accepted.
   */
  STALE(true),
  /**
   * The message was authenticated with a pairwise key the receiver does not hold (it restarted, or renewed
   * its certificate twice); the sender's bus sends it again signed.
   */
  SIGN_AGAIN(true),
  /** A job is reported done before the storage adapter has registered all its outputs; store them first. */
  OUTPUTS_NOT_REGISTERED(true),
  /** The upstream system did not answer in time or failed; try again. */
  UPSTREAM_UNAVAILABLE(true),
  /** The receiver failed unexpectedly; try again. */
  INTERNAL(true);

  private final boolean retryable;

  ErrorCode(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether a request answered with this code may succeed when sent again. */
  public boolean retryable() {
    return retryable;
  }
}
