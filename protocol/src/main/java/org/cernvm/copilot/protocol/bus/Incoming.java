package org.cernvm.copilot.protocol.bus;

import org.cernvm.copilot.protocol.Message;

/**
 * A message received from the bus.
 *
 * @param from the sender's full address, to which replies go
 * @param message the decoded message
 */
public record Incoming(Address from, Message message) {}
