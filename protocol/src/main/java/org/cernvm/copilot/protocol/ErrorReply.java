package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code error}: the request was refused or failed.
 *
 * @param id message id
 * @param sentAt send time
 * @param replyTo the request answered, or {@code null} when the offending message had no readable id
 * @param code the typed reason
 * @param retryable whether the same request may succeed later
 * @param message a human-readable explanation
 */
public record ErrorReply(String id, Instant sentAt, String replyTo, ErrorCode code, boolean retryable, String message)
    implements Reply {
  public ErrorReply {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    if (replyTo != null) {
      Checks.id(replyTo, "replyTo");
    }
    Checks.present(code, "code");
    Checks.present(message, "message");
  }
}
