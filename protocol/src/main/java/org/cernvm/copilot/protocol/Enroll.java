package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code enroll}: a component asks the key manager for its first certificate, presenting a one-time
 * enrollment token and a PKCS#10 certificate request for a key pair it made itself. It is the one verb
 * that may travel unsigned, since the component has no certificate yet.
 *
 * @param id message id
 * @param sentAt send time
 * @param name the component's name, which must be the sender's account
 * @param token the one-time enrollment token, sealed for the key manager (to the CA's key, which only the
 *     key manager holds)
 * @param csr the certificate request, PEM
 */
public record Enroll(String id, Instant sentAt, String name, Sealed token, String csr) implements KeyManagerRequest {
  public Enroll {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(name, "name");
    Checks.present(token, "token");
    Checks.text(csr, "csr");
  }
}
