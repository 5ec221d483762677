package org.cernvm.copilot.alien.jdl;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads JDL text as AliEn does (a Condor ClassAd): {@code Name = value;} statements, {@code #} comments to
 * the end of the line, names of letters, digits and {@code _}, values that are strings, numbers, lists or
 * expressions. Attribute names are matched case-insensitively, as in AliEn; a name given twice is an error.
 */
final class ClassAdParser {
  /**
   * How deep a value may go, both as written (brackets, lists, calls and negations within each other) and
   * as read (each operation, list and call one level above its operands, so that a chain of {@code &&} is as
   * deep as it is long). Reading, printing, comparing and matching a value recurse as deep as it goes; its
   * printed text is never deeper than the value read.
   */
  static final int MAX_DEPTH = 256;

  /** The longest number read, in characters; reading and printing a number takes time square in its length. */
  static final int MAX_NUMBER_CHARS = 100;

  /** A value and where it started, for error messages about its content. */
  record Located(String name, JdlValue value, int line, int column) {}

  private final String text;
  private int pos;
  private int line = 1;
  private int lineStart;
  private int nesting;
  private final Map<JdlValue, Integer> depths = new IdentityHashMap<>();

  private ClassAdParser(String text) {
    this.text = text;
  }

  /** The attributes of {@code text} by lower-case name, in order. */
  static Map<String, Located> parse(String text) throws JdlSyntaxException {
    ClassAdParser p = new ClassAdParser(text);
    Map<String, Located> attrs = new LinkedHashMap<>();
    p.skipBlank();
    // A whole ClassAd may be wrapped in [ ... ].
    boolean bracketed = p.peek() == '[';
    if (bracketed) {
      p.pos++;
      p.skipBlank();
    }
    while (p.pos < text.length() && !(bracketed && p.peek() == ']')) {
      int l = p.line;
      int c = p.column();
      String name = p.name();
      p.skipBlank();
      p.expect('=');
      p.skipBlank();
      int vl = p.line;
      int vc = p.column();
      JdlValue value = p.value();
      p.skipBlank();
      p.expect(';');
      p.skipBlank();
      String key = name.toLowerCase(Locale.ROOT);
      if (attrs.containsKey(key)) {
        throw new JdlSyntaxException(l, c, "attribute " + JdlSyntaxException.quote(name) + " is given twice");
      }
      attrs.put(key, new Located(name, value, vl, vc));
    }
    if (bracketed) {
      p.expect(']');
      p.skipBlank();
      if (p.pos < text.length()) {
        throw p.error("text after the closing ']'");
      }
    }
    return attrs;
  }

  private int column() {
    return pos - lineStart + 1;
  }

  private JdlSyntaxException error(String problem) {
    return new JdlSyntaxException(line, column(), problem);
  }

  /** Goes one level deeper into a value as written. */
  private void descend() throws JdlSyntaxException {
    if (++nesting > MAX_DEPTH) {
      throw error("the value is nested deeper than " + MAX_DEPTH + " levels");
    }
  }

  /** {@code node}, one level above the deepest of its {@code operands}. */
  private <T extends JdlValue> T above(T node, List<? extends JdlValue> operands) throws JdlSyntaxException {
    int depth = 0;
    for (JdlValue o : operands) {
      depth = Math.max(depth, depths.getOrDefault(o, 0));
    }
    if (depth + 1 > MAX_DEPTH) {
      throw error("the value is nested deeper than " + MAX_DEPTH + " levels");
    }
    depths.put(node, depth + 1);
    return node;
  }

  private String found() {
    return "'" + JdlSyntaxException.quote(String.valueOf(peek())) + "'";
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private void advance() {
    if (text.charAt(pos) == '\n') {
      line++;
      lineStart = pos + 1;
    }
    pos++;
  }

  private void skipBlank() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '#') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else if (Character.isWhitespace(c)) {
        advance();
      } else {
        return;
      }
    }
  }

  private void expect(char c) throws JdlSyntaxException {
    if (peek() != c) {
      throw error(pos >= text.length() ? "expected '" + c + "' but the JDL ended"
          : "expected '" + c + "' but found " + found());
    }
    advance();
  }

  private String name() throws JdlSyntaxException {
    int start = pos;
    while (pos < text.length() && (Character.isLetterOrDigit(peek()) || peek() == '_')) {
      pos++;
    }
    if (start == pos) {
      throw error(pos >= text.length() ? "expected an attribute name but the JDL ended"
          : "expected an attribute name but found " + found());
    }
    return text.substring(start, pos);
  }

  /** A value: a lone string, number or list stays one; anything else is an expression. */
  private JdlValue value() throws JdlSyntaxException {
    Expr e = or();
    if (e instanceof Expr.Literal lit) {
      return lit.value();
    }
    return e;
  }

  private Expr or() throws JdlSyntaxException {
    Expr left = and();
    while (match("||")) {
      Expr right = and();
      left = above(new Expr.Binary("||", left, right), List.of(left, right));
    }
    return left;
  }

  private Expr and() throws JdlSyntaxException {
    Expr left = not();
    while (match("&&")) {
      Expr right = not();
      left = above(new Expr.Binary("&&", left, right), List.of(left, right));
    }
    return left;
  }

  private Expr not() throws JdlSyntaxException {
    skipBlank();
    if (peek() == '!' && !text.startsWith("!=", pos)) {
      advance();
      descend();
      Expr operand = not();
      nesting--;
      return above(new Expr.Not(operand), List.of(operand));
    }
    return comparison();
  }

  private Expr comparison() throws JdlSyntaxException {
    Expr left = primary();
    for (String op : List.of("==", "!=", "<=", ">=", "<", ">")) {
      if (match(op)) {
        Expr right = primary();
        if (left instanceof Expr.Not) {
          // Printed in brackets on the left of a comparison: one level deeper.
          above(left, List.of(left));
        }
        return above(new Expr.Binary(op, left, right), List.of(left, right));
      }
    }
    return left;
  }

  private boolean match(String op) {
    skipBlank();
    if (text.startsWith(op, pos)) {
      pos += op.length();
      return true;
    }
    return false;
  }

  private Expr primary() throws JdlSyntaxException {
    skipBlank();
    char c = peek();
    if (c == '(') {
      advance();
      descend();
      Expr inner = or();
      skipBlank();
      expect(')');
      nesting--;
      return inner;
    }
    if (c == '"') {
      return new Expr.Literal(new JdlValue.Text(string()));
    }
    if (c == '{') {
      JdlValue.ListValue list = list();
      return above(new Expr.Literal(list), List.of(list));
    }
    if (Character.isDigit(c) || c == '-' || c == '.') {
      return new Expr.Literal(number());
    }
    if (Character.isLetter(c) || c == '_') {
      StringBuilder ref = new StringBuilder(name());
      while (peek() == '.') {
        pos++;
        ref.append('.').append(name());
      }
      skipBlank();
      if (peek() == '(') {
        advance();
        descend();
        List<Expr> args = new ArrayList<>();
        skipBlank();
        if (peek() != ')') {
          args.add(or());
          skipBlank();
          while (peek() == ',') {
            advance();
            args.add(or());
            skipBlank();
          }
        }
        expect(')');
        nesting--;
        return above(new Expr.Call(ref.toString(), args), args);
      }
      return new Expr.Ref(ref.toString());
    }
    throw error(pos >= text.length() ? "expected a value but the JDL ended" : "expected a value but found " + found());
  }

  private String string() throws JdlSyntaxException {
    int l = line;
    int col = column();
    advance();
    StringBuilder s = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new JdlSyntaxException(l, col, "the string starting here is not closed");
      }
      char c = peek();
      if (c == '"') {
        advance();
        return s.toString();
      }
      if (c == '\\' && pos + 1 < text.length()) {
        pos++;
      }
      s.append(peek());
      advance();
    }
  }

  private JdlValue.Number number() throws JdlSyntaxException {
    int start = pos;
    int col = column();
    if (peek() == '-') {
      pos++;
    }
    while (pos < text.length() && (Character.isDigit(peek()) || peek() == '.' || peek() == 'e' || peek() == 'E'
        || (peek() == '+' || peek() == '-') && (text.charAt(pos - 1) == 'e' || text.charAt(pos - 1) == 'E'))) {
      pos++;
    }
    if (pos - start > MAX_NUMBER_CHARS) {
      throw new JdlSyntaxException(line, col, "a number of more than " + MAX_NUMBER_CHARS + " characters");
    }
    try {
      return new JdlValue.Number(new BigDecimal(text.substring(start, pos)));
    } catch (NumberFormatException e) {
      throw new JdlSyntaxException(line, col, "'" + JdlSyntaxException.quote(text.substring(start, pos))
          + "' is not a number");
    }
  }

  private JdlValue.ListValue list() throws JdlSyntaxException {
    int l = line;
    int col = column();
    advance();
    descend();
    List<JdlValue> items = new ArrayList<>();
    skipBlank();
    if (peek() == '}') {
      advance();
      nesting--;
      return above(new JdlValue.ListValue(items), items);
    }
    while (true) {
      items.add(value());
      skipBlank();
      if (peek() == ',') {
        advance();
      } else if (peek() == '}') {
        advance();
        nesting--;
        return above(new JdlValue.ListValue(items), items);
      } else if (pos >= text.length()) {
        throw new JdlSyntaxException(l, col, "the list starting here is not closed");
      } else {
        throw error("expected ',' or '}' in a list but found " + found());
      }
    }
  }
}
