package org.cernvm.copilot.protocol.bus;

import java.time.Duration;
import java.util.Objects;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * How much unauthenticated traffic one sender may cost a component: a token bucket per full address for
 * every message that fails authentication or travels unsigned (only {@code enroll} may, and a component
 * enrolls once). A message that finds its sender's bucket empty is dropped before it is even opened,
 * unanswered and unlogged; what was dropped is counted in one log line per {@code summaryEvery}.
 *
 * @param burst how many such messages a sender may send at once; each is answered and logged
 * @param refill the time in which one more is allowed
 * @param summaryEvery how often the dropped messages are summed up in one log line
 */
public record UnauthenticatedLimits(int burst, Duration refill, Duration summaryEvery) {
  /** 20 at once, one more a second, summed up every minute. */
  public static final UnauthenticatedLimits DEFAULT =
      new UnauthenticatedLimits(20, Duration.ofSeconds(1), Duration.ofMinutes(1));

  public UnauthenticatedLimits {
    if (burst < 1) {
      throw new IllegalArgumentException("xmpp.unauthenticated-burst must be at least 1: " + burst);
    }
    Objects.requireNonNull(refill, "xmpp.unauthenticated-refill");
    Objects.requireNonNull(summaryEvery, "xmpp.unauthenticated-summary");
    if (refill.isNegative() || refill.isZero()) {
      throw new IllegalArgumentException("xmpp.unauthenticated-refill must be positive: " + refill);
    }
    if (summaryEvery.isNegative() || summaryEvery.isZero()) {
      throw new IllegalArgumentException("xmpp.unauthenticated-summary must be positive: " + summaryEvery);
    }
  }

  /**
   * Reads {@code xmpp.unauthenticated-burst} (20), {@code xmpp.unauthenticated-refill} (1s) and
   * {@code xmpp.unauthenticated-summary} (1m).
   */
  public static UnauthenticatedLimits from(Settings s) {
    return new UnauthenticatedLimits(
        s.integer("xmpp.unauthenticated-burst", DEFAULT.burst(), 1),
        s.duration("xmpp.unauthenticated-refill", DEFAULT.refill()),
        s.duration("xmpp.unauthenticated-summary", DEFAULT.summaryEvery()));
  }
}
