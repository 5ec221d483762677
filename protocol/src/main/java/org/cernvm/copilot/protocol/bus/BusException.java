package org.cernvm.copilot.protocol.bus;

/** The bus could not deliver a message: not connected, the recipient is unavailable, or no reply came. */
public class BusException extends Exception {
  /** Creates the exception with a message saying what could not be done. */
  public BusException(String message) {
    super(message);
  }

  /** Creates the exception with its cause. */
  public BusException(String message, Throwable cause) {
    super(message, cause);
  }
}
