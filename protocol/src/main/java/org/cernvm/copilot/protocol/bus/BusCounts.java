package org.cernvm.copilot.protocol.bus;

import java.util.Map;
import org.cernvm.copilot.protocol.ErrorCode;

/**
 * What a bus kept from its handlers since it started: the bodies it refused, by the code it refused them
 * with (malformed, unauthenticated, replayed, stale, …), and the unauthenticated messages it dropped
 * unopened or unanswered once their senders had used up their share.
 */
public record BusCounts(Map<ErrorCode, Long> refused, long dropped) {
  /** Nothing refused or dropped. */
  public static final BusCounts NONE = new BusCounts(Map.of(), 0);

  public BusCounts {
    refused = Map.copyOf(refused);
  }
}
