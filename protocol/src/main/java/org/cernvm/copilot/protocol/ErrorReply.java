package org.cernvm.copilot.protocol;

import java.time.Duration;
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
 * @param retryAfter when a retryable request is best sent again, e.g. when a job manager expects its
 *     prefetch of jobs to be refilled; zero when the receiver gives no hint
 */
public record ErrorReply(String id, Instant sentAt, String replyTo, ErrorCode code, boolean retryable, String message,
    Duration retryAfter) implements Reply {
  public ErrorReply {
    Checks.present(retryAfter, "retryAfter");
    Checks.notNegative(retryAfter, "retryAfter");
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    if (replyTo != null) {
      Checks.id(replyTo, "replyTo");
    }
    Checks.present(code, "code");
    Checks.present(message, "message");
  }

  /** The longest explanation {@link #to} writes. */
  public static final int MAX_MESSAGE_CHARS = 500;

  /**
   * An error answering {@code replyTo}, retryable as its code is, whose explanation is cut to
   * {@value #MAX_MESSAGE_CHARS} characters and escaped: it often quotes what the request held, or what a
   * library said of it, and an answer must never repeat a sender's text whole.
   */
  public static ErrorReply to(String replyTo, Instant at, ErrorCode code, String message) {
    return new ErrorReply(MessageIds.next(), at, replyTo, code, code.retryable(), Untrusted.text(message,
        MAX_MESSAGE_CHARS), Duration.ZERO);
  }

  /** This error with the hint to send the request again after {@code delay}. */
  public ErrorReply retryAfter(Duration delay) {
    return new ErrorReply(id, sentAt, replyTo, code, retryable, message, delay);
  }
}
