package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code enrolled}: the key manager's answer to {@link Enroll}: the issued certificate and the CA
 * certificate to trust.
 *
 * @param id message id
 * @param sentAt send time
 * @param replyTo the request answered
 * @param certificate the component's certificate, PEM
 * @param ca the CA certificate, PEM
 */
public record Enrolled(String id, Instant sentAt, String replyTo, String certificate, String ca) implements Reply {
  public Enrolled {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(replyTo, "replyTo");
    Checks.text(certificate, "certificate");
    Checks.text(ca, "ca");
  }
}
