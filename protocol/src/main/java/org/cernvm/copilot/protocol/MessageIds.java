package org.cernvm.copilot.protocol;

import java.util.UUID;

/**
 * Source of message and lease ids, and the form every identifier on the wire has: message, job, agent,
 * lease and key ids are 1 to {@value #MAX_CHARS} ASCII letters, digits and {@code . _ : @ + = / ~ # -}.
 * Ids are quoted in answers and log lines; this form keeps them short, plain and the same in JSON, XML and
 * a log.
 */
public final class MessageIds {
  /** The longest id. */
  public static final int MAX_CHARS = 128;

  private MessageIds() {}

  /** A new random id. */
  public static String next() {
    return UUID.randomUUID().toString();
  }

  /** Whether {@code id} has the form of an identifier. */
  public static boolean valid(String id) {
    return id != null && problem(id) == null;
  }

  /** What is wrong with {@code id} as an identifier, or {@code null} if nothing is. */
  static String problem(String id) {
    if (id.isEmpty() || id.length() > MAX_CHARS) {
      return "must be 1 to " + MAX_CHARS + " characters long, not " + id.length();
    }
    for (int i = 0; i < id.length(); i++) {
      if (!allowed(id.charAt(i))) {
        return "may hold only letters, digits and . _ : @ + = / ~ # -, not U+"
            + String.format("%04X", (int) id.charAt(i)) + " at position " + (i + 1);
      }
    }
    return null;
  }

  private static boolean allowed(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || ".:_@+=/~#-".indexOf(c) >= 0;
  }
}
