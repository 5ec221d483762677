package org.cernvm.copilot.protocol.security;

/** Terminal: an enrollment or renewal was refused (unknown, used or expired token, or a bad request). */
public final class EnrollmentException extends Exception {
  public EnrollmentException(String message) {
    super(message, null, false, false);
  }
}
