package org.cernvm.copilot.protocol.security;

/** Terminal: a message, lease ticket or sealed secret failed a security check; nothing was changed. */
public final class MessageRejectedException extends Exception {
  private final Rejection reason;
  private final String offendingId;

  /**
   * Creates the exception.
   *
   * @param offendingId the id of the request to answer with an error, or {@code null} if none should be
   */
  public MessageRejectedException(Rejection reason, String offendingId, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.offendingId = offendingId;
  }

  /** Why. */
  public Rejection reason() {
    return reason;
  }

  /** The id of the request to answer with an error, or {@code null}. */
  public String offendingId() {
    return offendingId;
  }
}
