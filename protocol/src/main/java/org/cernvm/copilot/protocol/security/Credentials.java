package org.cernvm.copilot.protocol.security;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;

/**
 * A component's own private key and the certificate the key manager issued for it.
 *
 * @param key the private key; it never leaves the component and is never logged
 * @param certificate its certificate
 */
public record Credentials(PrivateKey key, X509Certificate certificate) {
  /** Keeps the key as Bouncy Castle's own key object, which it signs with several times faster. */
  public Credentials {
    key = Certificates.inBouncyCastle(key);
  }

  /** The name the certificate was issued to. */
  public String name() {
    return Certificates.nameOf(certificate);
  }

  /** The role the certificate grants. */
  public Role role() {
    return Certificates.roleOf(certificate)
        .orElseThrow(() -> new IllegalStateException("certificate of " + name() + " names no role"));
  }

  /** When the certificate expires. */
  public Instant expiresAt() {
    return certificate.getNotAfter().toInstant();
  }

  /** When it should be renewed: after two thirds of its lifetime. */
  public Instant renewAt() {
    Instant from = certificate.getNotBefore().toInstant();
    return from.plus(java.time.Duration.between(from, expiresAt()).multipliedBy(2).dividedBy(3));
  }

  @Override
  public String toString() {
    return "Credentials[" + name() + ", serial " + certificate.getSerialNumber().toString(16) + ", key=<redacted>]";
  }
}
