package org.cernvm.copilot.alien.jdl;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Evaluates a JDL's {@code Requirements} against what a slot offers, as AliEn's broker matches a job to
 * a JobAgent: {@code other.X} names the offer's attribute {@code X} (case-insensitive), {@code member(list, x)}
 * tests membership, and comparisons work on numbers and strings. An attribute the offer lacks makes its
 * comparison false (ClassAd's "undefined").
 */
public final class Requirements {
  private Requirements() {}

  /** Whether {@code requirements} (null: none) hold for an offer of attributes by lower-case name. */
  public static boolean hold(Expr requirements, Map<String, Object> offer) {
    return requirements == null || Boolean.TRUE.equals(eval(requirements, offer));
  }

  private static Object eval(Expr e, Map<String, Object> offer) {
    if (e instanceof Expr.Literal lit) {
      return value(lit.value());
    }
    if (e instanceof Expr.Ref ref) {
      String name = ref.name().toLowerCase(java.util.Locale.ROOT);
      if (name.equals("true") || name.equals("false")) {
        return Boolean.valueOf(name);
      }
      return offer.get(name.startsWith("other.") ? name.substring(6) : name);
    }
    if (e instanceof Expr.Not not) {
      Object v = eval(not.operand(), offer);
      return v instanceof Boolean b ? !b : null;
    }
    if (e instanceof Expr.Call call) {
      if (call.function().equalsIgnoreCase("member") && call.args().size() == 2) {
        Object list = eval(call.args().get(0), offer);
        Object item = eval(call.args().get(1), offer);
        return item != null && list instanceof List<?> l && l.contains(item);
      }
      return null;
    }
    Expr.Binary b = (Expr.Binary) e;
    Object l = eval(b.left(), offer);
    Object r = eval(b.right(), offer);
    return switch (b.op()) {
      case "&&" -> Boolean.TRUE.equals(l) && Boolean.TRUE.equals(r);
      case "||" -> Boolean.TRUE.equals(l) || Boolean.TRUE.equals(r);
      default -> compare(b.op(), l, r);
    };
  }

  private static Object value(JdlValue v) {
    if (v instanceof JdlValue.Text t) {
      return t.value();
    }
    if (v instanceof JdlValue.Number n) {
      return n.value();
    }
    if (v instanceof JdlValue.ListValue list) {
      return list.items().stream().map(Requirements::value).toList();
    }
    return null;
  }

  private static Boolean compare(String op, Object l, Object r) {
    if (l == null || r == null) {
      return false;
    }
    int c;
    if (number(l) != null && number(r) != null) {
      c = number(l).compareTo(number(r));
    } else if (op.equals("==") || op.equals("!=")) {
      boolean eq = Objects.equals(String.valueOf(l).toLowerCase(java.util.Locale.ROOT),
          String.valueOf(r).toLowerCase(java.util.Locale.ROOT));
      return op.equals("==") == eq;
    } else {
      c = String.valueOf(l).compareTo(String.valueOf(r));
    }
    return switch (op) {
      case "==" -> c == 0;
      case "!=" -> c != 0;
      case "<" -> c < 0;
      case "<=" -> c <= 0;
      case ">" -> c > 0;
      default -> c >= 0;
    };
  }

  private static BigDecimal number(Object o) {
    if (o instanceof BigDecimal d) {
      return d;
    }
    if (o instanceof Number n) {
      return new BigDecimal(n.toString());
    }
    return null;
  }
}
