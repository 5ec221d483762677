package org.cernvm.copilot.protocol;

import java.util.UUID;

/** Source of message and lease ids. */
public final class MessageIds {
  private MessageIds() {}

  /** A new random id. */
  public static String next() {
    return UUID.randomUUID().toString();
  }
}
