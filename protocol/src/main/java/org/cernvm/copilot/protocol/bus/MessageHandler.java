package org.cernvm.copilot.protocol.bus;

/** Receives the requests and unsolicited messages that arrive on a {@link Bus}. */
@FunctionalInterface
public interface MessageHandler {
  /**
   * Handles one message. A handler that throws does not stop the bus: the exception is logged and a
   * request is answered with an {@code INTERNAL} error.
   */
  void handle(Incoming incoming);
}
