package org.cernvm.copilot.monitor;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.cernvm.copilot.metrics.Samples;
import org.cernvm.copilot.metrics.Samples.Sample;

/**
 * The scrapes of the last {@code monitor.history}, and the dashboard's view of them: the latest values
 * summed over the roles, and rates between consecutive scrapes. A counter that went down (its role
 * restarted) counts from zero again.
 */
final class History {
  /** The scrapes of every target at one instant. */
  record Round(Instant at, List<Scraper.Scrape> scrapes) {}

  /**
   * What the charts need of one target's scrape, summed over its series once, as the scrape is added: so
   * that the history holds a few numbers a scrape rather than the scrapes, and a page's request does not
   * read an hour of them again.
   */
  private record Digest(double ended, double bytes, Map<String, Double> failedByKind,
      NavigableMap<Double, Double> buckets) {
    static Digest of(Samples s) {
      Map<String, Double> failed = new TreeMap<>();
      for (Sample f : s.samples("copilot_jobs_failed_total")) {
        failed.merge(f.label("kind"), f.value(), Double::sum);
      }
      NavigableMap<Double, Double> buckets = new TreeMap<>();
      for (Sample b : s.samples("copilot_dispatch_duration_seconds_bucket")) {
        double le = bound(b.label("le"));
        if (!Double.isNaN(le)) {
          buckets.merge(le, b.value(), Double::sum);
        }
      }
      return new Digest(total(s, "copilot_jobs_ended_total"), total(s, "copilot_storage_stored_bytes_total"),
          failed, buckets);
    }
  }

  /** A round as kept: when, and the digest of each target that answered. */
  private record Kept(Instant at, Map<String, Digest> digests) {}

  private final Duration keep;
  private final Deque<Kept> rounds = new ArrayDeque<>();
  private Round last;

  History(Duration keep) {
    this.keep = keep;
  }

  synchronized void add(Round round) {
    Map<String, Digest> digests = new LinkedHashMap<>();
    round.scrapes().stream().filter(Scraper.Scrape::up)
        .forEach(s -> digests.put(s.target().name(), Digest.of(s.samples())));
    rounds.addLast(new Kept(round.at(), digests));
    last = round;
    while (rounds.size() > 2 && rounds.peekFirst().at().isBefore(round.at().minus(keep))) {
      rounds.removeFirst();
    }
  }

  /** The dashboard's state, or an empty one before the first scrape. */
  synchronized DashboardState state() {
    if (last == null) {
      return DashboardState.EMPTY;
    }
    List<DashboardState.TargetState> targets = last.scrapes().stream()
        .map(s -> new DashboardState.TargetState(s.target().name(), s.target().url().toString(), s.up(), s.error()))
        .toList();
    Map<String, DashboardState.SourceJobs> sources = new TreeMap<>();
    for (Sample s : samples(last, "copilot_jobs_leased_total")) {
      sources.computeIfAbsent(s.label("source"), DashboardState.SourceJobs::empty).add("leased", s.value());
    }
    for (Sample s : samples(last, "copilot_leases_active")) {
      sources.computeIfAbsent(s.label("source"), DashboardState.SourceJobs::empty).add("running", s.value());
    }
    for (Sample s : samples(last, "copilot_prefetch_jobs")) {
      sources.computeIfAbsent(s.label("source"), DashboardState.SourceJobs::empty).add("prefetched", s.value());
    }
    for (Sample s : samples(last, "copilot_jobs_ended_total")) {
      sources.computeIfAbsent(s.label("source"), DashboardState.SourceJobs::empty).add(s.label("outcome"), s.value());
    }
    Kept first = rounds.peekFirst();
    Kept newest = rounds.peekLast();
    Map<String, DashboardState.Failures> failures = new TreeMap<>();
    for (Sample s : samples(last, "copilot_jobs_failed_total")) {
      failures.merge(s.label("kind"), new DashboardState.Failures(s.label("kind"), s.value(), 0),
          DashboardState.Failures::plus);
    }
    failures.replaceAll((kind, f) -> new DashboardState.Failures(kind, f.total(),
        delta(first, newest, d -> d.failedByKind().getOrDefault(kind, 0.0))));
    List<Long> t = new ArrayList<>();
    List<Double> jobs = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    List<Double> bytes = new ArrayList<>();
    Kept a = null;
    for (Kept b : rounds) {
      double seconds = a == null ? 0 : Duration.between(a.at(), b.at()).toMillis() / 1000.0;
      if (seconds > 0) {
        t.add(b.at().getEpochSecond());
        jobs.add(delta(a, b, Digest::ended) / seconds);
        p99.add(quantileMs(a, b, 0.99));
        bytes.add(delta(a, b, Digest::bytes) / seconds);
      }
      a = b;
    }
    return new DashboardState(last.at(), targets,
        sum(last, "copilot_agents_busy", s -> true) + mostAtOne(last, "copilot_agents_waiting"),
        mostAtOne(last, "copilot_agents_waiting"),
        List.copyOf(sources.values()), List.copyOf(failures.values()),
        new DashboardState.Storage(sum(last, "copilot_storage_uploads_total", s -> s.label("result").equals("stored")),
            sum(last, "copilot_storage_uploads_total", s -> !s.label("result").equals("stored")),
            sum(last, "copilot_storage_stored_bytes_total", s -> true)),
        new DashboardState.Series(t, jobs, p99, bytes));
  }

  private static List<Sample> samples(Round r, String name) {
    List<Sample> out = new ArrayList<>();
    for (Scraper.Scrape s : r.scrapes()) {
      if (s.up()) {
        out.addAll(s.samples().samples(name));
      }
    }
    return out;
  }

  /**
   * The largest total of {@code name} at any one target: for the agents waiting, which every replica hears
   * ask ({@code want_getJob} goes to them all), so that the sum would count each once per replica.
   */
  private static double mostAtOne(Round r, String name) {
    return r.scrapes().stream().filter(Scraper.Scrape::up)
        .mapToDouble(s -> s.samples().samples(name).stream().mapToDouble(Sample::value).sum()).max().orElse(0);
  }

  private static double sum(Round r, String name, Predicate<Sample> which) {
    return samples(r, name).stream().filter(which).mapToDouble(Sample::value).sum();
  }

  private static double total(Samples s, String name) {
    return s.samples(name).stream().mapToDouble(Sample::value).sum();
  }

  /** How much a counter grew from {@code a} to {@code b}, over the targets that answered both times. */
  private static double delta(Kept a, Kept b, ToDoubleFunction<Digest> counter) {
    double total = 0;
    for (Map.Entry<String, Digest> e : b.digests().entrySet()) {
      Digest old = a.digests().get(e.getKey());
      if (old == null) {
        continue;
      }
      double now = counter.applyAsDouble(e.getValue());
      double then = counter.applyAsDouble(old);
      total += now >= then ? now - then : now;
    }
    return total;
  }

  /**
   * The upper bound, in ms, of the dispatch bucket holding quantile {@code q} of the dispatches between two
   * rounds; the top finite bound when the quantile is past it, so that a chart shows a plateau there
   * rather than a gap.
   */
  private static Double quantileMs(Kept a, Kept b, double q) {
    NavigableMap<Double, Double> cumulative = new TreeMap<>();
    b.digests().values().forEach(d -> d.buckets().keySet().forEach(le -> cumulative.putIfAbsent(le, 0.0)));
    cumulative.replaceAll((le, zero) -> delta(a, b, d -> d.buckets().getOrDefault(le, 0.0)));
    double count = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    if (count <= 0) {
      return null;
    }
    Double topFinite = null;
    for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
      if (e.getKey().isInfinite()) {
        return topFinite;
      }
      topFinite = e.getKey() * 1000;
      if (e.getValue() >= q * count) {
        return topFinite;
      }
    }
    return null;
  }

  /** A bucket's {@code le}, or NaN when it is not a number (so that a bad one is left out, not fatal). */
  private static double bound(String le) {
    if (le.equals("+Inf")) {
      return Double.POSITIVE_INFINITY;
    }
    try {
      return Double.parseDouble(le);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}
