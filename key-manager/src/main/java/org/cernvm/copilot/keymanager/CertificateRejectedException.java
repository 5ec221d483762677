package org.cernvm.copilot.keymanager;

/** Terminal: a certificate is not acceptable (foreign, expired, not yet valid, revoked, or without a role). */
public final class CertificateRejectedException extends Exception {
  public CertificateRejectedException(String message) {
    super(message, null, false, false);
  }
}
