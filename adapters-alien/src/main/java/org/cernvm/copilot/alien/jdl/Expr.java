package org.cernvm.copilot.alien.jdl;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A ClassAd expression, as in {@code Requirements}: literals, attribute references such as
 * {@code other.TTL}, function calls such as {@code member(other.Packages, "X")}, comparisons, {@code &&},
 * {@code ||} and {@code !}. Parentheses only group; printing puts them around every binary operation, so
 * that printing and parsing again gives the same tree.
 */
public sealed interface Expr extends JdlValue
    permits Expr.Literal, Expr.Ref, Expr.Call, Expr.Not, Expr.Binary {
  /** A string, number or boolean inside an expression. */
  record Literal(JdlValue value) implements Expr {
    @Override
    public String print() {
      return value.print();
    }
  }

  /** An attribute reference, e.g. {@code other.TTL} or {@code true}. */
  record Ref(String name) implements Expr {
    @Override
    public String print() {
      return name;
    }
  }

  /** A function call, e.g. {@code member(other.Packages, "VO_ALICE@AliPhysics::v5")}. */
  record Call(String function, List<Expr> args) implements Expr {
    public Call {
      args = List.copyOf(args);
    }

    @Override
    public String print() {
      return function + args.stream().map(Expr::print).collect(Collectors.joining(", ", "(", ")"));
    }
  }

  /** Logical negation. */
  record Not(Expr operand) implements Expr {
    @Override
    public String print() {
      return "!" + operand.print();
    }
  }

  /**
   * A binary operation: {@code || && == != < <= > >=}. A negation on the left of a comparison is printed in
   * brackets, since {@code !a == b} reads as {@code !(a == b)}.
   */
  record Binary(String op, Expr left, Expr right) implements Expr {
    @Override
    public String print() {
      String l = left instanceof Not && !op.equals("&&") && !op.equals("||") ? "( " + left.print() + " )" : left.print();
      return "( " + l + " " + op + " " + right.print() + " )";
    }
  }
}
