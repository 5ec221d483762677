package org.cernvm.copilot.alien.jdl;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cernvm.copilot.protocol.testing.Hostile;

/**
 * A generator of JDL texts for fuzzing the JDL reader: the real-style JDLs of {@link JdlTest} and JDLs built from
 * AliEn's tags by a grammar of values (strings, numbers, lists, {@code Requirements} expressions), with
 * values of the wrong kind or hostile content (huge or odd texts, bad input and output entries, numbers such
 * as {@code 1e999999999}, unknown attributes, the same attribute twice), nested deep or chained long, and
 * mutated character by character.
 */
final class JdlGenerator {
  private static final List<String> TAGS = List.of("Executable", "Arguments", "Packages", "InputFile", "InputData",
      "Output", "OutputFile", "OutputArchive", "OutputErrorE", "OutputDir", "ValidationCommand", "Requirements", "TTL",
      "Price", "MemorySize", "WorkDirectorySize", "CPUCores", "Split", "SplitArguments", "JDLVariables", "User", "Type");
  private static final List<String> DICTIONARY = List.of(
      "=", ";", "{", "}", "(", ")", "[", "]", ",", "\"", "\\", "#", "\n", " ", "&&", "||", "!", "==", "!=", "<=", ">=",
      "<", ">", "other.", "member(", "true", "false", "LF:", ",nodownload", "@disk=", ":", "1e999999999", "-", ".",
      "#alien_counter#", "#alien_counter_03i#", "$1", "Executable = \"x\";", "TTL", "Requirements");
  private static final List<String> SEEDS = List.of(JdlTest.PRODUCTION, JdlTest.ANALYSIS,
      "[ Executable = \"date\"; Weird_Attr1 = { 1, 2.5e+3, \"s\", { \"nested\" } }; Flag = true && !false; ]",
      "Executable = \"/bin/sh\";\nArguments = \"-c 'echo #alien_counter_05i# $2'\";\nSplit = \"production:1-3\";\n");

  /** One JDL text. */
  String next(SplittableRandom r) {
    int strategy = r.nextInt(100);
    if (strategy < 10) {
      return Hostile.pick(r, SEEDS);
    }
    if (strategy < 50) {
      return jdl(r, false);
    }
    if (strategy < 65) {
      return jdl(r, true);
    }
    if (strategy < 88) {
      String base = r.nextBoolean() ? Hostile.pick(r, SEEDS) : jdl(r, false);
      return Hostile.mutate(r, base, DICTIONARY, r.nextInt(5) == 0 ? 20 : 4);
    }
    if (strategy < 99) {
      return "Executable = \"x\";\n" + Hostile.pick(r, List.of("Requirements", "Other", "Packages")) + " = "
          + deep(r) + ";\n";
    }
    return huge(r);
  }

  /** A JDL of random tags, with valid values or, if {@code hostile}, some hostile ones. */
  private String jdl(SplittableRandom r, boolean hostile) {
    List<String> statements = new ArrayList<>();
    if (r.nextInt(10) != 0) {
      statements.add("Executable = " + quote(r.nextInt(5) == 0 ? Hostile.text(r) : "/bin/" + Hostile.plain(r, 6)) + ";");
    }
    int n = r.nextInt(12);
    for (int i = 0; i < n; i++) {
      String tag = r.nextInt(4) == 0 ? name(r) : Hostile.pick(r, TAGS);
      if (r.nextInt(6) == 0) {
        tag = r.nextBoolean() ? tag.toLowerCase(java.util.Locale.ROOT) : tag.toUpperCase(java.util.Locale.ROOT);
      }
      statements.add(tag + space(r) + "=" + space(r) + (hostile && r.nextInt(3) == 0 ? hostileValue(r) : value(tag, r))
          + space(r) + ";");
    }
    for (int i = statements.size() - 1; i > 0; i--) {
      java.util.Collections.swap(statements, i, r.nextInt(i + 1));
    }
    StringBuilder b = new StringBuilder();
    boolean bracketed = r.nextInt(5) == 0;
    if (bracketed) {
      b.append("[\n");
    }
    for (String s : statements) {
      if (r.nextInt(8) == 0) {
        b.append("# ").append(Hostile.plain(r, 10)).append('\n');
      }
      b.append(s).append(r.nextInt(4) == 0 ? " " : "\n");
    }
    if (bracketed) {
      b.append("]");
    }
    return b.toString();
  }

  private static String space(SplittableRandom r) {
    return Hostile.pick(r, List.of("", " ", " ", "\t", "\n  ", " # c\n "));
  }

  private static String name(SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0 -> "LPM" + Hostile.plain(r, 5).replace('-', '_').replace('.', '_');
      case 1 -> "A" + r.nextInt(100);
      case 2 -> "ünïcode";
      case 3 -> "_x";
      case 4 -> "9lives";
      default -> "Pac\u212aages";
    };
  }

  /** A value that suits {@code tag}. */
  private String value(String tag, SplittableRandom r) {
    return switch (tag) {
      case "Packages", "JDLVariables" -> list(r, () -> quote("VO_ALICE@" + Hostile.plain(r, 8) + "::v" + r.nextInt(9)));
      case "InputFile", "InputData" -> list(r, () -> quote("LF:/alice/" + Hostile.plain(r, 10)
          + (r.nextBoolean() ? ",nodownload" : "")));
      case "Output", "OutputFile", "OutputArchive", "OutputErrorE" -> list(r, () -> quote(outputEntry(r)));
      case "Requirements" -> expr(r, 1 + r.nextInt(4));
      case "TTL", "CPUCores" -> r.nextInt(4) == 0 ? quote(Integer.toString(r.nextInt(100_000))) : Integer.toString(r.nextInt(100_000));
      case "Price" -> Hostile.pick(r, List.of("1", "12.0", "0.5", "1e2", "-0", ".5", "5."));
      default -> r.nextInt(5) == 0 ? list(r, () -> quote(Hostile.plain(r, 8))) : quote(Hostile.plain(r, 1 + r.nextInt(20)));
    };
  }

  private static String outputEntry(SplittableRandom r) {
    String files = Hostile.plain(r, 5) + ".root" + (r.nextBoolean() ? "," + Hostile.plain(r, 3) + "*.log" : "");
    String archive = r.nextBoolean() ? Hostile.plain(r, 4) + ".zip:" : "";
    String options = switch (r.nextInt(4)) {
      case 0 -> "";
      case 1 -> "@disk=" + r.nextInt(1, 4);
      case 2 -> "@ALICE::CERN::EOS,!ALICE::FZK::SE";
      default -> "@disk=" + Hostile.pick(r, List.of("x", "", "-1", "99999999999", "1.5", " 2"));
    };
    return archive + files + options;
  }

  private String hostileValue(SplittableRandom r) {
    return switch (r.nextInt(9)) {
      case 0 -> quote(Hostile.text(r));
      case 1 -> Hostile.pick(r, List.of("1e999999999", "-1e999999999", "1e-999999999", "1e99999999999", "9".repeat(5000),
          "0." + "0".repeat(5000) + "1", "1" + "0".repeat(100_000), "-", ".", "1e", "1e+", "--1", "1.2.3", "\u0663\u0663",
          "0x10", "-0", "1E+2147483647", "1e-2147483648", "12." + "0".repeat(50_000)));
      case 2 -> list(r, () -> quote(Hostile.text(r)));
      case 3 -> quote(Hostile.pick(r, List.of("LF:", "LF:,nodownload", "/no/prefix", "LF: ", "@", ":", "a:@x", ",,",
          "a:b:c@d@e", "f@disk=abc", "f@disk=99999999999", "LF:x,nodownload,nodownload", " : x")));
      case 4 -> "{ }";
      case 5 -> expr(r, 1 + r.nextInt(8));
      case 6 -> "{ " + quote("x") + ", " + Hostile.number(r) + " }";
      case 7 -> quote(Hostile.pick(r, List.of("#alien_counter_0999999999i#", "#alien_counter_99999999999i#",
          "#alien_counter_" + "9".repeat(40) + "i#", "$99999999999", "$0", "$" + "9".repeat(30))));
      default -> Hostile.randomChars(r, 1 + r.nextInt(20));
    };
  }

  /** A {@code Requirements}-like expression of nesting up to {@code depth}. */
  private String expr(SplittableRandom r, int depth) {
    if (depth <= 0 || r.nextInt(3) == 0) {
      return switch (r.nextInt(6)) {
        case 0 -> "other." + Hostile.pick(r, List.of("TTL", "Price", "CE", "Packages", "Type", "CPUCores"));
        case 1 -> quote(Hostile.plain(r, 6));
        case 2 -> Hostile.pick(r, List.of("1", "72000", "-5", "2.5e+3", "1e999999999", "0.1"));
        case 3 -> Hostile.pick(r, List.of("true", "false"));
        case 4 -> "{ " + quote("a") + ", " + quote("b") + " }";
        default -> "member(other.Packages, " + quote("VO_ALICE@" + Hostile.plain(r, 4)) + ")";
      };
    }
    return switch (r.nextInt(5)) {
      case 0 -> "( " + expr(r, depth - 1) + " )";
      case 1 -> "!" + expr(r, depth - 1);
      case 2 -> expr(r, depth - 1) + " " + Hostile.pick(r, List.of("==", "!=", "<", "<=", ">", ">=")) + " "
          + expr(r, 0);
      case 3 -> Hostile.pick(r, List.of("member", "f", "other.g")) + "(" + expr(r, depth - 1) + ", " + expr(r, depth - 1) + ")";
      default -> expr(r, depth - 1) + " " + Hostile.pick(r, List.of("&&", "||")) + " " + expr(r, depth - 1);
    };
  }

  /** A value nested or chained very deep. */
  private static String deep(SplittableRandom r) {
    int n = Hostile.pick(r, List.of(10, 64, 128, 255, 256, 257, 1000, 5000, 20_000));
    return switch (r.nextInt(7)) {
      case 0 -> "(".repeat(n) + "1" + ")".repeat(n);
      case 1 -> "!".repeat(n) + "true";
      case 2 -> "{".repeat(n) + "}".repeat(n);
      case 3 -> "other.TTL > 1" + " && other.TTL > 1".repeat(n);
      case 4 -> "f(".repeat(n) + "1" + ")".repeat(n);
      case 5 -> "( a || ".repeat(n) + "b" + " )".repeat(n);
      default -> "(".repeat(n);
    };
  }

  /** A JDL with a huge text, number, name or number of attributes. */
  private static String huge(SplittableRandom r) {
    return switch (r.nextInt(5)) {
      case 0 -> "Executable = \"" + "x".repeat(300_000) + "\";";
      case 1 -> "Executable = \"x\";\nTTL = " + "9".repeat(200_000) + ";";
      case 2 -> "N" + "a".repeat(100_000) + " = 1;\nExecutable = \"x\";\nn" + "a".repeat(100_000) + " = 2;";
      case 3 -> {
        StringBuilder b = new StringBuilder("Executable = \"x\";\n");
        for (int i = 0; i < 20_000; i++) {
          b.append('A').append(i).append(" = ").append(i).append(";\n");
        }
        yield b.toString();
      }
      default -> "Executable = \"x\";\nInputFile = { \"" + "y".repeat(100_000) + "\" };";
    };
  }

  private static String list(SplittableRandom r, java.util.function.Supplier<String> item) {
    int n = r.nextInt(4);
    if (n == 1 && r.nextBoolean()) {
      return item.get();
    }
    List<String> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(item.get());
    }
    return "{ " + String.join(", ", items) + " }";
  }

  private static String quote(String s) {
    return JdlValue.quote(s);
  }
}
