package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code fetchCrl}: a component asks the key manager for its current certificate revocation list.
 *
 * @param id message id
 * @param sentAt send time
 */
public record FetchCrl(String id, Instant sentAt) implements KeyManagerRequest {
  public FetchCrl {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
  }
}
