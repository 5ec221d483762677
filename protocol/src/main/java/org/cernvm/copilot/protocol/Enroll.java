package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code enroll}: a component asks the key manager for a certificate, presenting a one-time enrollment
 * token and a PKCS#10 certificate request for a key pair it made itself.
 *
 * @param id message id
 * @param sentAt send time
 * @param name the component's name, which must be the sender's account
 * @param token the one-time enrollment token; never logged
 * @param csr the certificate request, PEM
 */
public record Enroll(String id, Instant sentAt, String name, String token, String csr) implements Request {
  public Enroll {
    Checks.text(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.text(name, "name");
    Checks.text(token, "token");
    Checks.text(csr, "csr");
  }

  @Override
  public String toString() {
    return "Enroll[id=" + id + ", sentAt=" + sentAt + ", name=" + name + ", token=<redacted>, csr=" + csr.length()
        + " chars]";
  }
}
