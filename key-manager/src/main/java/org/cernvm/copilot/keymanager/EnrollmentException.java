package org.cernvm.copilot.keymanager;

/** Terminal: an enrollment was refused (unknown, used or expired token, or a bad certificate request). */
public final class EnrollmentException extends Exception {
  public EnrollmentException(String message) {
    super(message, null, false, false);
  }
}
