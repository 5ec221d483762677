package org.cernvm.copilot.protocol;

/**
 * A message body that cannot be accepted: malformed, too large, of an unknown verb, or with a missing or
 * invalid field.
 */
public final class ProtocolException extends Exception {
  private final ErrorCode code;
  private final String offendingId;

  /**
   * Creates the exception.
   *
   * @param code the typed reason
   * @param offendingId the {@code id} of the offending message if it could be read, else {@code null}
   * @param message what was wrong
   */
  public ProtocolException(ErrorCode code, String offendingId, String message) {
    super(message);
    this.code = code;
    this.offendingId = offendingId;
  }

  /** The typed reason. */
  public ErrorCode code() {
    return code;
  }

  /** The id of the offending message, or {@code null} when it had no readable id. */
  public String offendingId() {
    return offendingId;
  }
}
