package org.cernvm.copilot.protocol.bus;

import java.time.Instant;
import java.util.Optional;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.security.Identity;

/**
 * A message received from the bus.
 *
 * @param from the sender's full address, to which replies go
 * @param message the decoded message
 * @param sender who signed it, verified; empty only for an unsigned {@code enroll}
 * @param to whom the sender addressed it: the receiver's bare address (a service), or a full address, which
 *     may be another resource's when the server handed a message for an absent resource to the account
 * @param receivedAt when the bus received it, on the receiver's clock, before it waited for a handler
 */
public record Incoming(Address from, Message message, Optional<Identity> sender, Address to, Instant receivedAt) {
  /** Whether the sender addressed this to another resource of the receiver's account. */
  public boolean meantForAnother(Address self) {
    return to.isFull() && !to.equals(self);
  }
}
