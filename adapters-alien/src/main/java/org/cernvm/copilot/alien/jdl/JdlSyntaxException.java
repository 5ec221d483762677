package org.cernvm.copilot.alien.jdl;

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

  /** The line, from 1. */
  public int line() {
    return line;
  }

  /** The column, from 1. */
  public int column() {
    return column;
  }
}
