package org.cernvm.copilot.protocol;

/** Validation of file names that travel in messages: plain names, never paths. */
public final class FileNames {
  private FileNames() {}

  /** Returns {@code name} if it is a plain file name, else throws {@link IllegalArgumentException}. */
  public static String check(String name, String field) {
    Checks.text(name, field);
    if (name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")
        || name.indexOf('\0') >= 0 || name.length() > 255) {
      throw new IllegalArgumentException("field '" + field + "' must be a plain file name: " + Untrusted.text(name, 100));
    }
    return name;
  }
}
