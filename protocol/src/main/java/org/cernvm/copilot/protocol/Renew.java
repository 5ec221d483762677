package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code renew}: a component whose certificate is still valid asks for a new one, for a new key pair, in
 * the same name and role. It is signed with the certificate being renewed; no token is needed.
 *
 * @param id message id
 * @param sentAt send time
 * @param csr the certificate request for the new key pair, PEM
 */
public record Renew(String id, Instant sentAt, String csr) implements KeyManagerRequest {
  public Renew {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.text(csr, "csr");
  }
}
