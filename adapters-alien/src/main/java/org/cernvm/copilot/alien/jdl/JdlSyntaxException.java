package org.cernvm.copilot.alien.jdl;

import org.cernvm.copilot.protocol.Untrusted;

/** A JDL that cannot be read: the message names the line and column where reading stopped. */
public final class JdlSyntaxException extends Exception {
  private final int line;
  private final int column;

  /** Creates the exception for a problem at {@code line}:{@code column} (both from 1). */
  public JdlSyntaxException(int line, int column, String problem) {
    super("line " + line + ", column " + column + ": " + problem, null, false, false);
    this.line = line;
    this.column = column;
  }

  /** Text of a JDL as an error text quotes it: controls escaped, cut after 60 characters. */
  static String quote(String text) {
    return Untrusted.text(text, 60);
  }

  /** The line, from 1. */
  public int line() {
    return line;
  }

  /** The column, from 1. */
  public int column() {
    return column;
  }
}
