package org.cernvm.copilot.alien.jdl;

/**
 * One entry of {@code InputFile} or {@code InputData}: {@code LF:/alice/...}, optionally
 * {@code ,nodownload} (the payload reads it remotely and it is not staged).
 *
 * @param lfn the logical file name, without {@code LF:}
 * @param noDownload whether the file is left for the payload to read remotely
 */
public record InputEntry(String lfn, boolean noDownload) {
  /**
   * Reads an entry.
   *
   * @throws IllegalArgumentException if it does not start with {@code LF:}
   */
  static InputEntry parse(String s) {
    if (!s.startsWith("LF:")) {
      throw new IllegalArgumentException("an input entry must start with 'LF:': \"" + JdlSyntaxException.quote(s) + "\"");
    }
    boolean nodownload = s.endsWith(",nodownload");
    String lfn = s.substring(3, nodownload ? s.length() - ",nodownload".length() : s.length());
    if (lfn.isBlank()) {
      throw new IllegalArgumentException("an input entry names no file: \"" + JdlSyntaxException.quote(s) + "\"");
    }
    return new InputEntry(lfn, nodownload);
  }

  /** The entry as written in a JDL. */
  String print() {
    return "LF:" + lfn + (noDownload ? ",nodownload" : "");
  }
}
