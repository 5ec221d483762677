package org.cernvm.copilot.protocol.testing;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fuzzing property on error texts: an error text that reaches a peer or a log is present, at most
 * {@value #MAX_CHARS} characters, and in our own words — it quotes no Java class or method, no exception
 * name, no Jackson feature or type, and no message of the JDK's number parsers.
 */
public final class ErrorTexts {
  /** The longest error text allowed. */
  public static final int MAX_CHARS = 500;

  private static final Map<String, Pattern> INTERNALS = internals();

  private static Map<String, Pattern> internals() {
    Map<String, Pattern> m = new LinkedHashMap<>();
    m.put("a Java class name",
        Pattern.compile("\\b(?:java|javax|jdk|sun|com\\.fasterxml|org\\.cernvm|org\\.bouncycastle)\\.[A-Za-z_$][\\w$.]*"));
    m.put("a type or method in backticks", Pattern.compile("`[^`]*`"));
    m.put("an exception name", Pattern.compile("\\b[A-Z]\\w*(?:Exception|Error)\\b"));
    m.put("a Jackson feature", Pattern.compile("\\b[A-Z]\\w*Feature\\.[A-Z_]+"));
    m.put("BigDecimal's parse error", Pattern.compile("neither a decimal digit number"));
    m.put("a JDK number format error", Pattern.compile("For input string|Zero length BigInteger|"
        + "Illegal embedded sign character|Exponent overflow|Rounding necessary|Overflow"));
    m.put("a Jackson source location", Pattern.compile("\\[Source: |reference chain|line: \\d+, column: \\d+"));
    m.put("a Java method call", Pattern.compile("\\b[a-z]\\w*\\.[a-z]\\w*\\(\\)"));
    return Collections.unmodifiableMap(m);
  }

  private ErrorTexts() {}

  /**
   * Checks the error text {@code text} produced by {@code where} (e.g. {@code decode MALFORMED}).
   *
   * @throws Fuzz.Violation if it is absent, too long or quotes Java internals
   */
  public static void check(String where, String text) {
    if (text == null || text.isBlank()) {
      throw new Fuzz.Violation("error text missing [" + where + "]", String.valueOf(text));
    }
    if (text.length() > MAX_CHARS) {
      throw new Fuzz.Violation(Fuzz.kind("error text longer than " + MAX_CHARS + " chars [" + where + "]",
          template(text)), text.length() + " chars: " + text);
    }
    for (Map.Entry<String, Pattern> p : INTERNALS.entrySet()) {
      Matcher m = p.getValue().matcher(text);
      if (m.find()) {
        throw new Fuzz.Violation(Fuzz.kind("error text quotes Java internals [" + where + "]",
            p.getKey() + ": " + template(text)), "quotes " + p.getKey() + " " + m.group() + ": " + text);
      }
    }
  }

  /**
   * The shape of an error text, for grouping violations: quoted parts, numbers and long words replaced,
   * cut after 90 characters.
   */
  public static String template(String text) {
    String t = text.replaceAll("'[^']*'", "'…'")
        .replaceAll("\"[^\"]*\"", "\"…\"")
        .replaceAll("\\(code \\d+\\)", "(code #)")
        .replaceAll("-?\\d+", "#")
        .replaceAll("[^\\x20-\\x7e]", "?")
        .replaceAll("(.)\\1{4,}", "…")
        .replaceAll("\\w{40,}", "…");
    return t.length() > 90 ? t.substring(0, 90) + "…" : t;
  }
}
