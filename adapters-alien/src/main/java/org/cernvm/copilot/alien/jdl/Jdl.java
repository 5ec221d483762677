package org.cernvm.copilot.alien.jdl;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A job description in AliEn's JDL, with its tags typed. Attributes without a typed field (such as
 * {@code LPMRunNumber}) are kept in {@link #other()} under their names as written, so that
 * {@code JDLVariables} can export them. Absent tags are {@code null} (or empty lists).
 * {@code parse(jdl.print())} gives back an equal record.
 *
 * @param executable the program to run (required)
 * @param arguments its arguments, one string
 * @param packages software packages, e.g. {@code VO_ALICE@AliPhysics::v5-09-56f-01-1}
 * @param inputFile files staged into the sandbox
 * @param inputData input data (staged unless {@code ,nodownload})
 * @param output outputs ({@code Output})
 * @param outputFile outputs ({@code OutputFile})
 * @param outputArchive archives ({@code OutputArchive})
 * @param outputErrorE outputs uploaded only when the job ends ERROR_E
 * @param outputDir the catalogue directory outputs are registered under
 * @param validationCommand a command run after the payload; a non-zero exit gives ERROR_V
 * @param requirements the matching expression
 * @param ttl the wall-time limit in seconds
 * @param price the price
 * @param memorySize the memory asked for, e.g. {@code 8GB}
 * @param workDirectorySize the scratch space asked for, e.g. {@code 11000MB}
 * @param cpuCores cores
 * @param split the split strategy, e.g. {@code production:1-5}
 * @param splitArguments arguments of each subjob
 * @param jdlVariables attributes exported to the payload as {@code ALIEN_JDL_<NAME>}
 * @param user the owner
 * @param type the type, {@code Job}
 * @param other every other attribute, by name as written, in order
 */
public record Jdl(
    String executable,
    String arguments,
    List<String> packages,
    List<InputEntry> inputFile,
    List<InputEntry> inputData,
    List<OutputEntry> output,
    List<OutputEntry> outputFile,
    List<OutputEntry> outputArchive,
    List<OutputEntry> outputErrorE,
    String outputDir,
    String validationCommand,
    Expr requirements,
    Long ttl,
    BigDecimal price,
    String memorySize,
    String workDirectorySize,
    Integer cpuCores,
    String split,
    String splitArguments,
    List<String> jdlVariables,
    String user,
    String type,
    Map<String, JdlValue> other) {

  private static final Pattern ARGUMENT = Pattern.compile("\\$(\\d+)");
  private static final Pattern COUNTER = Pattern.compile("#alien_counter(?:_(0?)(\\d{1,2})i)?#");

  public Jdl {
    if (executable == null || executable.isBlank()) {
      throw new IllegalArgumentException("a JDL needs an Executable");
    }
    packages = List.copyOf(packages);
    inputFile = List.copyOf(inputFile);
    inputData = List.copyOf(inputData);
    output = List.copyOf(output);
    outputFile = List.copyOf(outputFile);
    outputArchive = List.copyOf(outputArchive);
    outputErrorE = List.copyOf(outputErrorE);
    jdlVariables = List.copyOf(jdlVariables);
    other = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(other));
  }

  /**
   * Reads a JDL.
   *
   * @throws JdlSyntaxException naming the line and column of the first problem
   */
  public static Jdl parse(String text) throws JdlSyntaxException {
    Map<String, ClassAdParser.Located> a = new LinkedHashMap<>(ClassAdParser.parse(text));
    Reader r = new Reader(a);
    Jdl jdl;
    try {
      jdl = new Jdl(
          r.text("executable", true),
          r.text("arguments", false),
          r.texts("packages"),
          r.entries("inputfile", InputEntry::parse),
          r.entries("inputdata", InputEntry::parse),
          r.entries("output", OutputEntry::parse),
          r.entries("outputfile", OutputEntry::parse),
          r.entries("outputarchive", OutputEntry::parse),
          r.entries("outputerrore", OutputEntry::parse),
          r.text("outputdir", false),
          r.text("validationcommand", false),
          r.expr("requirements"),
          r.number("ttl", BigDecimal::longValueExact),
          r.number("price", Function.identity()),
          r.text("memorysize", false),
          r.text("workdirectorysize", false),
          r.number("cpucores", BigDecimal::intValueExact),
          r.text("split", false),
          r.text("splitarguments", false),
          r.texts("jdlvariables"),
          r.text("user", false),
          r.text("type", false),
          r.rest());
    } catch (IllegalArgumentException e) {
      throw new JdlSyntaxException(1, 1, e.getMessage());
    }
    return jdl;
  }

  /** Typed reads of the parsed attributes; each error names where the value started. */
  private static final class Reader {
    private final Map<String, ClassAdParser.Located> attrs;

    Reader(Map<String, ClassAdParser.Located> attrs) {
      this.attrs = attrs;
    }

    private static JdlSyntaxException at(ClassAdParser.Located l, String problem) {
      return new JdlSyntaxException(l.line(), l.column(), l.name() + " " + problem);
    }

    String text(String key, boolean required) throws JdlSyntaxException {
      ClassAdParser.Located l = attrs.remove(key);
      if (l == null) {
        if (required) {
          throw new JdlSyntaxException(1, 1, "the JDL has no " + key.substring(0, 1).toUpperCase(Locale.ROOT)
              + key.substring(1) + " attribute");
        }
        return null;
      }
      JdlValue v = l.value();
      if (v instanceof JdlValue.ListValue list && list.items().size() == 1) {
        v = list.items().get(0);
      }
      if (v instanceof JdlValue.Text t) {
        return t.value();
      }
      if (v instanceof JdlValue.Number n) {
        return n.value().toString();
      }
      throw at(l, "must be a string");
    }

    List<String> texts(String key) throws JdlSyntaxException {
      ClassAdParser.Located l = attrs.remove(key);
      if (l == null) {
        return List.of();
      }
      List<JdlValue> items = l.value() instanceof JdlValue.ListValue list ? list.items() : List.of(l.value());
      List<String> out = new ArrayList<>();
      for (JdlValue v : items) {
        if (!(v instanceof JdlValue.Text t)) {
          throw at(l, "must be a string or a list of strings");
        }
        out.add(t.value());
      }
      return out;
    }

    <T> List<T> entries(String key, Function<String, T> parse) throws JdlSyntaxException {
      ClassAdParser.Located l = attrs.get(key);
      List<String> raw = texts(key);
      List<T> out = new ArrayList<>();
      for (String s : raw) {
        try {
          out.add(parse.apply(s));
        } catch (IllegalArgumentException e) {
          throw at(l, "has a bad entry: " + e.getMessage());
        }
      }
      return out;
    }

    Expr expr(String key) {
      ClassAdParser.Located l = attrs.remove(key);
      if (l == null) {
        return null;
      }
      return l.value() instanceof Expr e ? e : new Expr.Literal(l.value());
    }

    <T> T number(String key, Function<BigDecimal, T> convert) throws JdlSyntaxException {
      ClassAdParser.Located l = attrs.remove(key);
      if (l == null) {
        return null;
      }
      JdlValue v = l.value();
      BigDecimal n;
      if (v instanceof JdlValue.Number num) {
        n = num.value();
      } else if (v instanceof JdlValue.Text t && t.value().length() <= ClassAdParser.MAX_NUMBER_CHARS
          && t.value().trim().matches("-?\\d+(\\.\\d+)?")) {
        n = new BigDecimal(t.value().trim());
      } else {
        throw at(l, "must be a number");
      }
      try {
        return convert.apply(n);
      } catch (ArithmeticException e) {
        throw at(l, "must be a whole number: " + n);
      }
    }

    Map<String, JdlValue> rest() {
      Map<String, JdlValue> out = new LinkedHashMap<>();
      attrs.values().forEach(l -> out.put(l.name(), l.value()));
      return out;
    }
  }

  /** Every attribute set, typed tags first in AliEn's order, then the others, by name as printed. */
  public Map<String, JdlValue> attributes() {
    Map<String, JdlValue> a = new LinkedHashMap<>();
    a.put("Executable", text(executable));
    a.put("Arguments", text(arguments));
    a.put("Packages", texts(packages));
    a.put("InputFile", texts(inputFile.stream().map(InputEntry::print).toList()));
    a.put("InputData", texts(inputData.stream().map(InputEntry::print).toList()));
    a.put("Output", texts(output.stream().map(OutputEntry::print).toList()));
    a.put("OutputFile", texts(outputFile.stream().map(OutputEntry::print).toList()));
    a.put("OutputArchive", texts(outputArchive.stream().map(OutputEntry::print).toList()));
    a.put("OutputErrorE", texts(outputErrorE.stream().map(OutputEntry::print).toList()));
    a.put("OutputDir", text(outputDir));
    a.put("ValidationCommand", text(validationCommand));
    a.put("Requirements", requirements);
    a.put("TTL", ttl == null ? null : new JdlValue.Number(BigDecimal.valueOf(ttl)));
    a.put("Price", price == null ? null : new JdlValue.Number(price));
    a.put("MemorySize", text(memorySize));
    a.put("WorkDirectorySize", text(workDirectorySize));
    a.put("CPUCores", cpuCores == null ? null : new JdlValue.Number(BigDecimal.valueOf(cpuCores)));
    a.put("Split", text(split));
    a.put("SplitArguments", text(splitArguments));
    a.put("JDLVariables", texts(jdlVariables));
    a.put("User", text(user));
    a.put("Type", text(type));
    a.putAll(other);
    a.values().removeIf(java.util.Objects::isNull);
    return a;
  }

  /** The attribute {@code name} (case-insensitive), typed tag or other. */
  public java.util.Optional<JdlValue> attribute(String name) {
    return attributes().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
        .map(Map.Entry::getValue).findFirst();
  }

  /** The JDL as text, one attribute per line, typed tags first in AliEn's order, then the others. */
  public String print() {
    StringBuilder b = new StringBuilder();
    attributes().forEach((k, v) -> b.append(k).append(" = ").append(v.print()).append(";\n"));
    return b.toString();
  }

  private static JdlValue text(String s) {
    return s == null ? null : new JdlValue.Text(s);
  }

  private static JdlValue texts(List<String> items) {
    return items.isEmpty() ? null : new JdlValue.ListValue(items.stream().<JdlValue>map(JdlValue.Text::new).toList());
  }

  /**
   * Replaces {@code $1..$N} in a JDL's text with the submit arguments, as AliEn does at submission.
   *
   * @throws IllegalArgumentException if the JDL uses an argument that was not given
   */
  public static String applyArguments(String text, List<String> args) {
    Matcher m = ARGUMENT.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String digits = m.group(1);
      int n = digits.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(digits);
      if (n < 1 || n > args.size()) {
        throw new IllegalArgumentException("the JDL uses $" + JdlSyntaxException.quote(digits) + " but " + args.size()
            + " argument(s) were given");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(args.get(n - 1)));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Replaces {@code #alien_counter#} and {@code #alien_counter_03i#} with subjob number {@code counter}; a
   * width of 0 gives the bare number, and a width of more than two digits is left as written.
   */
  public static String forSubjob(String text, int counter) {
    Matcher m = COUNTER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int width = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
      String value = width == 0 ? Integer.toString(counter)
          : String.format("%" + (m.group(1).isEmpty() ? "" : "0") + width + "d", counter);
      m.appendReplacement(out, value);
    }
    m.appendTail(out);
    return out.toString();
  }
}
