package org.cernvm.copilot.protocol;

import java.util.Locale;

/**
 * One fact an agent checks about an input file once it has fetched it: its size, adler32 or md5, as the
 * job's source knows them (PanDA's {@code fsize} and {@code checksum}, AliEn's catalogue).
 *
 * @param kind what is checked
 * @param value the expected value: a size in bytes in decimal, or the checksum in lower-case hex
 */
public record FileCheck(Kind kind, String value) {
  /** What a check compares. */
  public enum Kind {
    SIZE,
    ADLER32,
    MD5
  }

  public FileCheck {
    Checks.present(kind, "kind");
    Checks.present(value, "value");
    boolean valid = switch (kind) {
      case SIZE -> value.matches("0|[1-9][0-9]{0,17}");
      case ADLER32 -> value.matches("[0-9a-f]{8}");
      case MD5 -> value.matches("[0-9a-f]{32}");
    };
    if (!valid) {
      throw new IllegalArgumentException("field 'value' of a " + kind.name().toLowerCase(Locale.ROOT)
          + " check is not " + (kind == Kind.SIZE ? "a size in bytes" : "a lower-case hex checksum"));
    }
  }

  /** A size check. */
  public static FileCheck size(long bytes) {
    return new FileCheck(Kind.SIZE, Long.toString(bytes));
  }

  /** An adler32 check. */
  public static FileCheck adler32(String hex) {
    return new FileCheck(Kind.ADLER32, hex);
  }

  /** An md5 check. */
  public static FileCheck md5(String hex) {
    return new FileCheck(Kind.MD5, hex);
  }
}
