package org.cernvm.copilot.storage;

/** An upload grant was refused: missing, malformed, forged, expired or for another file. */
final class GrantException extends Exception {
  private final int status;

  GrantException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The HTTP status to answer with: 401 when there is no usable grant, 403 when it does not allow this. */
  int status() {
    return status;
  }
}
