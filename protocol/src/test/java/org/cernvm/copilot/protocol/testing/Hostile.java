package org.cernvm.copilot.protocol.testing;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Hostile values for fuzzing, drawn from a seeded random source: texts (huge, blank, U+FFFF, lone
 * surrogates, NUL, controls, bidirectional overrides, paths), JSON number texts (huge, non-finite, negative
 * zero, out of range, malformed), and character-level mutations of a text.
 */
public final class Hostile {
  /** Single characters that parsers and checks treat specially. */
  public static final List<String> CHARS = List.of(
      "\u0000", "\u0001", "\u001b", "\u007f", "\u0085", "\t", "\n", "\r", " ", "\u00a0", "\u2028", "\u2029",
      "\u202e", "\u2066", "\ufeff", "\ufffe", "\uffff", "\ud800", "\udc00", "\udbff\udfff", "\ud83d\ude00",
      "\u0301", "é", "\u0130", "\u212a", "\u0663", "\uff11", "\"", "'", "\\", "/", "{", "}", "[", "]", ",", ":",
      ";", "=", "#", "@", "$", "%", "-", "+", ".", "e", "E", "0", "9", "a", "Z", "_");

  private static final List<String> TEXTS = List.of(
      "", " ", "\t", "\n", "null", "true", "0", "-0", "1e999999", "NaN", "Infinity", "-Infinity", "..", ".", "/",
      "../../../etc/passwd", "a/b", "a\\b", "C:\\x", "\u0000", "a\u0000b", "\uffff", "\ufffe", "\ud800", "\udc00",
      "\udc00\ud800", "x\ud800", "\ud800x", "\u202eevil", "line\nbreak", "\r\n", "\u2028", "\u001b[31m", "%s%n",
      "${jndi:ldap://x}", "<x/>", "]]>", "&amp;", "'", "\"", "\\", "\\u0000", "PT1H", "P1D", "PT0S", "-PT1S", "PT-1S", "P1000000000D",
      "PT9223372036854775807S", "PT99999999999999999999S", "P-1D", "PT0.000000001S", "pt1h",
      "2026-11-23T10:15:30.123Z", "2026-11-23T10:15:30Z", "2026-11-23T10:15:30+01:00", "2026-11-23t10:15:30z",
      "+1000000000-12-31T23:59:59.999999999Z", "-1000000000-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
      "9999-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z", "2026-11-23", "RUNNING", "running", "SUCCEEDED",
      "NO_JOB", "no_job", "ack", "kill", "want_getJob", "WANT_GET_JOB", "jobmanager@copilot.local",
      "jobmanager@copilot.local/jm-1", "@", "a@b@c", "agent-1", "agent-1 ", " agent-1", "AGENT-1", "ağent",
      "\u0130d", "ID", "LF:", "LF:/alice/x,nodownload", "a:b@disk=x", "#alien_counter_099999999i#", "$99999999999");

  private static final List<String> NUMBERS = List.of(
      "0", "-0", "0.0", "-0.0", "1", "-1", "2", "4.0", "1.5", "0.1", "1e2", "1E+2", "1e-2", "2147483647",
      "2147483648", "-2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
      "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e18", "1e19", "1e308", "1e309",
      "-1e309", "1e999999", "-1e999999", "1e-999999", "4.9e-324", "1e-400", "123456789012345678901234567890",
      "0.30000000000000004", "1.7976931348623157e308", "NaN", "Infinity", "-Infinity", "+1", "01", ".5", "5.",
      "0x10", "1_000", "1e", "--1", "1e99999999999");

  private Hostile() {}

  /** One hostile text: from the catalogue, a long or huge repetition, or random characters. */
  public static String text(SplittableRandom r) {
    if (r.nextInt(25) == 0) {
      return pick(r, List.of("x", "é", "\u4e2d", "\ud83d\ude00", "\uffff", "\ud800")).repeat(
          pick(r, List.of(256, 501, 1000, 5000, 70_000, 100_000, 300_000)));
    }
    return switch (r.nextInt(10)) {
      case 0, 1, 2, 3, 5 -> pick(r, TEXTS);
      case 4 -> pick(r, CHARS).repeat(1 + r.nextInt(300));
      case 6 -> randomChars(r, 1 + r.nextInt(40));
      case 7 -> pick(r, TEXTS) + pick(r, CHARS) + pick(r, TEXTS);
      default -> plain(r, 1 + r.nextInt(20)) + pick(r, CHARS) + plain(r, r.nextInt(5));
    };
  }

  /** One number as JSON text (sometimes not valid JSON), or a run of digits too long for any parser limit. */
  public static String number(SplittableRandom r) {
    if (r.nextInt(12) == 0) {
      return "9".repeat(pick(r, List.of(19, 309, 999, 1000, 1001, 5000, 100_000)));
    }
    if (r.nextInt(12) == 0) {
      return "1e" + (r.nextBoolean() ? "-" : "") + r.nextLong(Long.MAX_VALUE);
    }
    return pick(r, NUMBERS);
  }

  /** Letters and digits, as in a plain identifier. */
  public static String plain(SplittableRandom r, int length) {
    String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(alphabet.charAt(r.nextInt(i == 0 ? 52 : alphabet.length())));
    }
    return b.toString();
  }

  /** Characters of any kind: the special ones above, ASCII, and any UTF-16 unit. */
  public static String randomChars(SplittableRandom r, int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      switch (r.nextInt(3)) {
        case 0 -> b.append(pick(r, CHARS));
        case 1 -> {
          char c = (char) (0x20 + r.nextInt(0x5f));
          b.append(c == '`' ? '\'' : c);
        }
        default -> b.append((char) r.nextInt(0x10000));
      }
    }
    return b.toString();
  }

  /**
   * {@code s} after one to {@code maxEdits} character-level edits: a character or a {@code dictionary}
   * token inserted or put in place of one, a span deleted, repeated or moved, the text cut short, a digit
   * changed.
   */
  public static String mutate(SplittableRandom r, String s, List<String> dictionary, int maxEdits) {
    StringBuilder b = new StringBuilder(s);
    int edits = 1 + r.nextInt(maxEdits);
    for (int k = 0; k < edits; k++) {
      int n = b.length();
      int at = n == 0 ? 0 : r.nextInt(n + 1);
      switch (r.nextInt(10)) {
        case 0 -> b.insert(at, pick(r, CHARS));
        case 1 -> b.insert(at, pick(r, dictionary));
        case 2 -> {
          if (at < n) {
            b.setCharAt(at, pick(r, CHARS).charAt(0));
          }
        }
        case 3 -> {
          if (at < n) {
            b.replace(at, Math.min(n, at + 1 + r.nextInt(4)), pick(r, dictionary));
          }
        }
        case 4 -> {
          if (at < n) {
            b.delete(at, Math.min(n, at + 1 + r.nextInt(r.nextBoolean() ? 3 : 40)));
          }
        }
        case 5 -> {
          if (at < n) {
            String span = b.substring(at, Math.min(n, at + 1 + r.nextInt(30)));
            b.insert(at, span.repeat(1 + r.nextInt(r.nextInt(10) == 0 ? 2000 : 3)));
          }
        }
        case 6 -> {
          if (at < n) {
            int end = Math.min(n, at + 1 + r.nextInt(30));
            String span = b.substring(at, end);
            b.delete(at, end);
            b.insert(r.nextInt(b.length() + 1), span);
          }
        }
        case 7 -> b.setLength(at);
        case 8 -> {
          if (at < n && Character.isDigit(b.charAt(at))) {
            b.setCharAt(at, (char) ('0' + r.nextInt(10)));
          } else {
            b.insert(at, r.nextInt(10));
          }
        }
        default -> b.insert(at, pick(r, CHARS).repeat(1 + r.nextInt(8)));
      }
      if (b.length() > 400_000) {
        b.setLength(400_000);
      }
    }
    return b.toString();
  }

  /** One of {@code items}. */
  public static <T> T pick(SplittableRandom r, List<T> items) {
    return items.get(r.nextInt(items.size()));
  }
}
