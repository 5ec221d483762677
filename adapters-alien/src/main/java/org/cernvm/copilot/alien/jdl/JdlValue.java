package org.cernvm.copilot.alien.jdl;

import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Collectors;

/** The value of one JDL attribute: a string, a number, a list, or an expression (as in Requirements). */
public sealed interface JdlValue permits JdlValue.Text, JdlValue.Number, JdlValue.ListValue, Expr {
  /** The value in JDL syntax. */
  String print();

  /** A quoted string. */
  record Text(String value) implements JdlValue {
    @Override
    public String print() {
      return quote(value);
    }
  }

  /** A number, kept exactly as written (so that {@code 12.0} stays {@code 12.0}). */
  record Number(BigDecimal value) implements JdlValue {
    @Override
    public String print() {
      return value.toString();
    }
  }

  /** A list {@code { v1, v2 }}. */
  record ListValue(List<JdlValue> items) implements JdlValue {
    public ListValue {
      items = List.copyOf(items);
    }

    @Override
    public String print() {
      return items.isEmpty() ? "{ }" : items.stream().map(JdlValue::print).collect(Collectors.joining(", ", "{ ", " }"));
    }
  }

  /** {@code s} as a JDL string literal. */
  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
