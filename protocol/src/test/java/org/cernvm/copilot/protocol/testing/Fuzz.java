package org.cernvm.copilot.protocol.testing;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A seeded fuzzing harness for JUnit 5: it generates inputs from a fixed seed, feeds each to a target that
 * checks the target's properties, and fails naming every kind of violation found with the seed and case
 * number that reproduce it.
 *
 * <p>Case {@code i} of seed {@code s} is generated from its own {@link SplittableRandom}, seeded from
 * {@code s} and {@code i} alone, so any one case is reproduced without the ones before it:
 * {@code -Dfuzz.seed=s -Dfuzz.case=i}. {@code -Dfuzz.inputs=N} sets how many inputs each target gets
 * (the suite's default is small enough for every build; the long run asks for a million).
 *
 * <p>Each case runs on a worker thread that this harness watches: a case still running after
 * {@code fuzz.stall-seconds} (30) ends the run with that case's reproduction; a case that takes more than
 * {@code fuzz.slow-ms} (5,000) of CPU time or allocates more than {@code fuzz.max-alloc-mb} (64) is a
 * violation like any other. CPU time, unlike wall time, does not grow when other processes load the
 * machine. A target reports a broken property by throwing {@link Violation}; any other exception or
 * error it lets out is a violation of the kind "untyped" with the exception's class and first frame.
 *
 * <p>Kinds name a cause, such as "error text quotes Java internals [decode INVALID_FIELD]";
 * {@code -Dfuzz.fine-kinds=true} adds where it was seen (the field, the shape of the text), to tell the
 * places of one cause apart.
 */
public final class Fuzz {
  /** The system property with the number of inputs per target. */
  public static final String INPUTS = "fuzz.inputs";
  /** The system property with the seed; {@link #DEFAULT_SEED} when absent. */
  public static final String SEED = "fuzz.seed";
  /** The system property naming one case to run alone. */
  public static final String CASE = "fuzz.case";
  /** The seed of the suite's runs. */
  public static final long DEFAULT_SEED = 20261123L;

  private static final int SHOWN_CHARS = 400;
  private static final boolean FINE_KINDS = Boolean.getBoolean("fuzz.fine-kinds");

  private Fuzz() {}

  /** A broken property: {@code kind} groups violations of the same cause, {@code detail} says what was seen. */
  public static final class Violation extends RuntimeException {
    private final String kind;

    /** Creates a violation of {@code kind}. */
    public Violation(String kind, String detail) {
      super(detail, null, false, false);
      this.kind = kind;
    }

    /** What kind of violation this is. */
    public String kind() {
      return kind;
    }
  }

  /** A function from random numbers to one input. */
  @FunctionalInterface
  public interface Generator<T> {
    /** One input. */
    T next(SplittableRandom random);
  }

  /** What is fuzzed: it checks the properties for one input and names its outcome for the summary. */
  @FunctionalInterface
  public interface Target<T> {
    /**
     * Runs one input.
     *
     * @return the outcome, e.g. {@code accepted} or {@code rejected MALFORMED}, counted in the summary
     * @throws Violation if a property does not hold
     */
    String run(T input) throws Exception;
  }

  /** One kind of violation: how often it was seen and its first case. */
  public record Finding(String kind, long count, long firstCase, String input, String detail) {}

  /**
   * What a run saw.
   *
   * @param seconds wall time of the cases
   * @param cpuSeconds CPU time of the cases
   * @param slowestMillis the CPU time of the slowest case
   * @param maxAllocatedMb the most any one case allocated
   * @param oneCase whether one case ran alone ({@code fuzz.case}), so that the outcomes show only its own
   */
  public record Report(String target, long seed, long inputs, double seconds, double cpuSeconds, double slowestMillis,
      double maxAllocatedMb, Map<String, Long> outcomes, List<Finding> findings, boolean oneCase) {

    /** One paragraph for the build log. */
    public String summary() {
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
          "fuzz %s: %d inputs, seed %d, %.1f s (%.0f inputs/s), %.1f s of CPU, slowest input %.0f ms of CPU, most allocated by one input %.1f MiB, on %d cores, Java %s%n",
          target, inputs, seed, seconds, inputs / Math.max(seconds, 1e-9), cpuSeconds, slowestMillis, maxAllocatedMb,
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version")));
      b.append("  outcomes: ").append(outcomes).append('\n');
      for (Finding f : findings) {
        b.append(String.format(Locale.ROOT, "  violation ×%d: %s (first: case %d)%n", f.count(), f.kind(),
            f.firstCase()));
      }
      return b.toString();
    }
  }

  /** The kind {@code cause}, followed by {@code where} if fine kinds were asked for. */
  public static String kind(String cause, String where) {
    return FINE_KINDS ? cause + " " + where : cause;
  }

  /** The number of inputs per target: {@code fuzz.inputs}, else {@code defaultInputs}. */
  public static long inputs(long defaultInputs) {
    return Long.getLong(INPUTS, defaultInputs);
  }

  /** The seed: {@code fuzz.seed}, else {@link #DEFAULT_SEED}. */
  public static long seed() {
    return Long.getLong(SEED, DEFAULT_SEED);
  }

  /** The random numbers of case {@code index} of {@code seed}. */
  public static SplittableRandom random(long seed, long index) {
    return new SplittableRandom(mix(seed ^ mix(index + 0x9E3779B97F4A7C15L)));
  }

  /**
   * Runs {@code target} on generated inputs and fails if it finds a violation.
   *
   * @param show how an input is quoted in a report
   */
  public static <T> Report check(String name, long defaultInputs, Generator<T> generator, Target<T> target,
      Function<T, String> show) {
    Report report = run(name, defaultInputs, generator, target, show);
    System.out.print(report.summary());
    List<Finding> found = report.findings();
    if (!found.isEmpty()) {
      StringBuilder b = new StringBuilder(found.size() + " kind(s) of violation in " + name + " (seed "
          + report.seed() + "; reproduce one with -D" + SEED + "=" + report.seed() + " -D" + CASE + "=N):\n");
      for (Finding f : found) {
        b.append("- ").append(f.kind()).append(" ×").append(f.count()).append(", first case ").append(f.firstCase())
            .append("\n  input: ").append(f.input()).append("\n  saw: ").append(f.detail()).append('\n');
      }
      throw new AssertionError(b.toString());
    }
    return report;
  }

  /** Runs {@code target} on generated inputs and reports what it saw, without failing. */
  public static <T> Report run(String name, long defaultInputs, Generator<T> generator, Target<T> target,
      Function<T, String> show) {
    long seed = seed();
    Long only = Long.getLong(CASE);
    long first = only == null ? 0 : only;
    long count = only == null ? inputs(defaultInputs) : 1;
    long stallMillis = Long.getLong("fuzz.stall-seconds", 30) * 1000;
    long slowNanos = Long.getLong("fuzz.slow-ms", 5000) * 1_000_000;
    long maxAlloc = Long.getLong("fuzz.max-alloc-mb", 64) << 20;

    Map<String, Long> outcomes = new TreeMap<>();
    Map<String, Finding> findings = new LinkedHashMap<>();
    AtomicLong current = new AtomicLong(-1);
    AtomicLong caseStarted = new AtomicLong();
    long[] slowest = new long[1];
    long[] cpu = new long[1];
    long[] mostAllocated = new long[1];
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Throwable[] crashed = new Throwable[1];

    Runnable loop = () -> {
      for (long i = first; i < first + count; i++) {
        T input;
        try {
          input = generator.next(random(seed, i));
        } catch (RuntimeException e) {
          throw new IllegalStateException("case " + i + " of seed " + seed + " cannot be generated", e);
        }
        if (only != null) {
          System.out.println("fuzz " + name + " case " + i + " input: " + show(show.apply(input), 100_000));
        }
        caseStarted.set(System.nanoTime());
        current.set(i);
        long allocBefore = threads.getCurrentThreadAllocatedBytes();
        long cpuBefore = threads.getCurrentThreadCpuTime();
        String outcome;
        Violation violation = null;
        try {
          outcome = target.run(input);
        } catch (Violation v) {
          outcome = "violation";
          violation = v;
        } catch (Throwable t) {
          outcome = "violation";
          violation = new Violation("untyped " + t.getClass().getName() + " at " + firstFrame(t), describe(t));
        }
        long nanos = threads.getCurrentThreadCpuTime() - cpuBefore;
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocBefore;
        cpu[0] += nanos;
        slowest[0] = Math.max(slowest[0], nanos);
        mostAllocated[0] = Math.max(mostAllocated[0], allocated);
        if (violation == null && i > first && nanos > slowNanos) {
          violation = new Violation("slow: an input took more than " + slowNanos / 1_000_000 + " ms of CPU",
              nanos / 1_000_000 + " ms");
        }
        if (violation == null && allocated > maxAlloc) {
          violation = new Violation("memory: an input allocated more than " + (maxAlloc >> 20) + " MiB",
              (allocated >> 20) + " MiB");
        }
        outcomes.merge(outcome, 1L, Long::sum);
        if (violation != null) {
          count(findings, violation, i, input, show);
        }
      }
      current.set(Long.MIN_VALUE);
    };
    Thread worker = new Thread(() -> {
      try {
        loop.run();
      } catch (Throwable t) {
        crashed[0] = t;
      }
    }, "fuzz-" + name);
    worker.setDaemon(true);
    long start = System.nanoTime();
    worker.start();
    try {
      while (worker.isAlive()) {
        worker.join(1000);
        long i = current.get();
        if (worker.isAlive() && i >= 0 && System.nanoTime() - caseStarted.get() > stallMillis * 1_000_000
            && current.get() == i) {
          worker.interrupt();
          T input = generator.next(random(seed, i));
          throw new AssertionError("fuzz " + name + ": case " + i + " of seed " + seed + " still runs after "
              + stallMillis / 1000 + " s (reproduce with -D" + SEED + "=" + seed + " -D" + CASE + "=" + i + ")\n  input: "
              + show(show.apply(input), SHOWN_CHARS) + "\n  at: " + stack(worker));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    if (crashed[0] != null) {
      throw new AssertionError("the generator of " + name + " failed: " + crashed[0].getMessage(), crashed[0]);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Report(name, seed, count, seconds, cpu[0] / 1e9, slowest[0] / 1e6, mostAllocated[0] / 1048576.0, outcomes,
        List.copyOf(findings.values()), only != null);
  }

  private static <T> void count(Map<String, Finding> findings, Violation v, long i, T input,
      Function<T, String> show) {
    Finding f = findings.get(v.kind());
    if (f == null) {
      findings.put(v.kind(), new Finding(v.kind(), 1, i, show(show.apply(input), SHOWN_CHARS),
          show(v.getMessage(), SHOWN_CHARS)));
    } else {
      findings.put(v.kind(), new Finding(f.kind(), f.count() + 1, f.firstCase(), f.input(), f.detail()));
    }
  }

  /**
   * {@code s} as printable ASCII: controls, non-ASCII and lone surrogates as Java escapes, long runs of one
   * character counted, and cut in the middle beyond {@code max} characters.
   */
  public static String show(String s, int max) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int run = 1;
      while (i + run < s.length() && s.charAt(i + run) == c) {
        run++;
      }
      if (run >= 16) {
        b.append(escape(c)).append("{×").append(run).append('}');
        i += run;
      } else {
        b.append(escape(c));
        i++;
      }
    }
    String shown = b.toString();
    if (shown.length() > max) {
      shown = shown.substring(0, max / 2) + " …(" + (shown.length() - max) + " shown chars left out)… "
          + shown.substring(shown.length() - max / 2);
    }
    return "\"" + shown + "\" (" + s.length() + " chars)";
  }

  private static String escape(char c) {
    if (c == '\\') {
      return "\\\\";
    }
    if (c == '"') {
      return "\\\"";
    }
    if (c == '\n') {
      return "\\n";
    }
    if (c >= 0x20 && c < 0x7f) {
      return String.valueOf(c);
    }
    return String.format("\\u%04x", (int) c);
  }

  /** The first stack frame of {@code t} in this project's code, else its first frame. */
  public static String firstFrame(Throwable t) {
    StackTraceElement[] trace = t.getStackTrace();
    for (StackTraceElement e : trace) {
      if (e.getClassName().startsWith("org.cernvm.copilot.") && !e.getClassName().contains("Fuzz")) {
        return e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1) + "." + e.getMethodName();
      }
    }
    return trace.length == 0 ? "?" : trace[0].getClassName() + "." + trace[0].getMethodName();
  }

  private static String describe(Throwable t) {
    List<String> frames = new ArrayList<>();
    for (StackTraceElement e : t.getStackTrace()) {
      if (frames.size() == 12) {
        break;
      }
      frames.add(e.toString());
    }
    return t + (t.getCause() != null ? " caused by " + t.getCause() : "") + " at " + String.join(" < ", frames);
  }

  private static String stack(Thread thread) {
    List<String> frames = new ArrayList<>();
    for (StackTraceElement e : thread.getStackTrace()) {
      if (frames.size() == 15) {
        break;
      }
      frames.add(e.toString());
    }
    return String.join(" < ", frames);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
