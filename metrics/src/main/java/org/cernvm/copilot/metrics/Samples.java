package org.cernvm.copilot.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * The samples of a registry as Prometheus' text format shows them, by series ({@code name{label="v",...}}):
 * what a scrape of {@code /metrics} would read, for checks and for the testbed's own reports.
 */
public final class Samples {
  private final Map<String, Double> values;
  /** Every sample by metric name, its labels read once. */
  private final Map<String, List<Sample>> byName = new LinkedHashMap<>();
  private final String text;

  private Samples(String text) {
    this.text = text;
    this.values = new LinkedHashMap<>();
    int number = 0;
    for (String line : text.split("\n")) {
      number++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      // A label value may hold spaces, so the series ends at its closing brace when it has labels.
      int close = line.lastIndexOf('}');
      int end = close >= 0 ? close + 1 : line.indexOf(' ');
      if (end <= 0 || end >= line.length()) {
        throw new IllegalArgumentException("line " + number + " of the metrics is not a sample: "
            + Untrusted.text(line));
      }
      String[] rest = line.substring(end).trim().split(" ");
      try {
        values.put(line.substring(0, end), number(rest[0]));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("line " + number + " of the metrics has no number: "
            + Untrusted.text(line));
      }
    }
    values.forEach((series, value) -> {
      int brace = series.indexOf('{');
      String name = brace < 0 ? series : series.substring(0, brace);
      Map<String, String> labels = brace < 0 ? Map.of() : labels(series.substring(brace + 1, series.length() - 1));
      byName.computeIfAbsent(name, k -> new ArrayList<>()).add(new Sample(labels, value));
    });
  }

  /** Scrapes {@code registry}. */
  public static Samples of(PrometheusRegistry registry) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Samples(out.toString(StandardCharsets.UTF_8));
  }

  private static double number(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(v);
    };
  }

  /**
   * Reads a scrape's text (Prometheus' text format).
   *
   * @throws IllegalArgumentException naming the first line that is not a comment or a sample, or the first
   *     series whose labels cannot be read
   */
  public static Samples parse(String text) {
    return new Samples(text);
  }

  /** The value of one series, e.g. {@code copilot_jobs_leased_total{source="generic"}}, or 0 if absent. */
  public double value(String series) {
    return values.getOrDefault(series, 0.0);
  }

  /** Whether the series is present. */
  public boolean has(String series) {
    return values.containsKey(series);
  }

  /** The sum of every series of the metric {@code name}, whatever its labels. */
  public double sum(String name) {
    return values.entrySet().stream()
        .filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
        .mapToDouble(Map.Entry::getValue).sum();
  }

  /** A sample of a metric: its labels and value. */
  public record Sample(Map<String, String> labels, double value) {
    /** The value of label {@code name}, or the empty text. */
    public String label(String name) {
      return labels.getOrDefault(name, "");
    }
  }

  /** The samples of the metric {@code name}, each with its labels. */
  public List<Sample> samples(String name) {
    return byName.getOrDefault(name, List.of());
  }

  /** {@code a="x",b="y \"z\""} as a map; the text format escapes backslash, quote and newline. */
  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    int i = 0;
    while (i < text.length()) {
      int eq = text.indexOf("=\"", i);
      if (eq < 0) {
        throw new IllegalArgumentException("bad labels: " + Untrusted.text(text));
      }
      String key = text.substring(i, eq).trim();
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      for (; j < text.length() && text.charAt(j) != '"'; j++) {
        char c = text.charAt(j);
        if (c == '\\' && j + 1 < text.length()) {
          char n = text.charAt(++j);
          v.append(n == 'n' ? '\n' : n);
        } else {
          v.append(c);
        }
      }
      if (j >= text.length()) {
        throw new IllegalArgumentException("unterminated label value: " + Untrusted.text(text));
      }
      labels.put(key, v.toString());
      i = j + 1;
      if (i < text.length() && text.charAt(i) == ',') {
        i++;
      }
    }
    return labels;
  }

  /** The names and labels of every series. */
  public Set<String> series() {
    return values.keySet();
  }

  @Override
  public String toString() {
    return text;
  }
}
