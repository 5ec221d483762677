package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code crl}: the key manager's answer to {@link FetchCrl}: its revocation list, signed by the CA.
 *
 * @param id message id
 * @param sentAt send time
 * @param replyTo the request answered
 * @param crl the X.509 CRL, PEM
 */
public record Crl(String id, Instant sentAt, String replyTo, String crl) implements Reply {
  public Crl {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(replyTo, "replyTo");
    Checks.text(crl, "crl");
  }
}
