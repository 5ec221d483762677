package org.cernvm.copilot.storage;

/**
 * An upload was refused before its body was read: a bad path, or a missing, malformed, forged, expired or
 * foreign grant.
 */
final class GrantException extends Exception {
  private final int status;

  GrantException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The HTTP status to answer: 400 for a bad path, 401 when there is no usable grant, 403 when it forbids this. */
  int status() {
    return status;
  }
}
