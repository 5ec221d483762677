package org.cernvm.copilot.protocol.bus;

import java.util.Optional;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.security.Identity;

/**
 * A message received from the bus.
 *
 * @param from the sender's full address, to which replies go
 * @param message the decoded message
 * @param sender who signed it, verified; empty only for an unsigned {@code enroll}
 */
public record Incoming(Address from, Message message, Optional<Identity> sender) {}
