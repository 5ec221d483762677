package org.cernvm.copilot.protocol;

/**
 * Text from outside this process made safe for one log line or one error message: control characters,
 * line and paragraph separators, bidirectional overrides, lone surrogates and non-characters escaped
 * ({@code \n}, {@code \u001b}), backslashes doubled so that an escape cannot be forged, and cut after
 * {@value #MAX_CHARS} characters with a note of how many were left out.
 *
 * <p>Anything a peer, an upstream server or a payload wrote (verbs, ids, reasons, diagnostics, paths,
 * exception messages that quote them) goes through {@link #text} before it reaches a log line, so that it
 * can neither forge a line nor fill the log.
 */
public final class Untrusted {
  /** How many characters of untrusted text are kept. */
  public static final int MAX_CHARS = 200;

  private Untrusted() {}

  /** {@code value} as safe text of at most {@value #MAX_CHARS} characters; {@code null} reads "null". */
  public static String text(Object value) {
    return text(value, MAX_CHARS);
  }

  /**
   * {@code value} as safe text: at most {@code max} characters, escapes included, then a note of how many
   * characters of the original were left out.
   */
  public static String text(Object value, int max) {
    String s = String.valueOf(value);
    if (s.length() <= max && isPlain(s)) {
      return s;
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 32);
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int step = 1;
      String piece;
      if (c == '\n') {
        piece = "\\n";
      } else if (c == '\r') {
        piece = "\\r";
      } else if (c == '\t') {
        piece = "\\t";
      } else if (c == '\\') {
        piece = "\\\\";
      } else if (needsEscape(s, i)) {
        piece = String.format("\\u%04x", (int) c);
      } else if (Character.isHighSurrogate(c)) {
        piece = s.substring(i, i + 2);
        step = 2;
      } else {
        piece = String.valueOf(c);
      }
      if (b.length() + piece.length() > max) {
        break;
      }
      b.append(piece);
      i += step;
    }
    if (i < s.length()) {
      b.append("…(").append(s.length() - i).append(" more chars)");
    }
    return b.toString();
  }

  private static boolean isPlain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' || c == '\t' || needsEscape(s, i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean needsEscape(String s, int i) {
    char c = s.charAt(i);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      return true;
    }
    if (c < 0x2028) {
      return false;
    }
    if (c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
        || c == 0xfffe || c == 0xffff) {
      return true;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
    }
    return false;
  }
}
