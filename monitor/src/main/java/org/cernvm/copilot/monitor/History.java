package org.cernvm.copilot.monitor;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
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

  private final Duration keep;
  private final Deque<Round> rounds = new ArrayDeque<>();

  History(Duration keep) {
    this.keep = keep;
  }

  synchronized void add(Round round) {
    rounds.addLast(round);
    while (rounds.size() > 2 && rounds.peekFirst().at().isBefore(round.at().minus(keep))) {
      rounds.removeFirst();
    }
  }

  /** The dashboard's state, or an empty one before the first scrape. */
  synchronized DashboardState state() {
    if (rounds.isEmpty()) {
      return DashboardState.EMPTY;
    }
    List<Round> all = new ArrayList<>(rounds);
    Round last = all.get(all.size() - 1);
    Round first = all.get(0);
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
    Map<String, DashboardState.Failures> failures = new TreeMap<>();
    for (Sample s : samples(last, "copilot_jobs_failed_total")) {
      failures.merge(s.label("kind"), new DashboardState.Failures(s.label("kind"), s.value(), 0),
          DashboardState.Failures::plus);
    }
    for (String kind : failures.keySet()) {
      double recent = delta(first, last, "copilot_jobs_failed_total", s -> s.label("kind").equals(kind));
      failures.computeIfPresent(kind, (k, f) -> new DashboardState.Failures(k, f.total(), recent));
    }
    List<Long> t = new ArrayList<>();
    List<Double> jobs = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    List<Double> bytes = new ArrayList<>();
    for (int i = 1; i < all.size(); i++) {
      Round a = all.get(i - 1);
      Round b = all.get(i);
      double seconds = Duration.between(a.at(), b.at()).toMillis() / 1000.0;
      if (seconds <= 0) {
        continue;
      }
      t.add(b.at().getEpochSecond());
      jobs.add(delta(a, b, "copilot_jobs_ended_total", s -> true) / seconds);
      p99.add(quantileMs(a, b, 0.99));
      bytes.add(delta(a, b, "copilot_storage_stored_bytes_total", s -> true) / seconds);
    }
    return new DashboardState(last.at(), targets,
        sum(last, "copilot_agents_connected", s -> true), sum(last, "copilot_agents_waiting", s -> true),
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

  private static double sum(Round r, String name, Predicate<Sample> which) {
    return samples(r, name).stream().filter(which).mapToDouble(Sample::value).sum();
  }

  private static Map<String, Samples> byTarget(Round r) {
    Map<String, Samples> m = new LinkedHashMap<>();
    r.scrapes().stream().filter(Scraper.Scrape::up).forEach(s -> m.put(s.target().name(), s.samples()));
    return m;
  }

  /** How much a counter grew from {@code a} to {@code b}, over the targets scraped both times. */
  private static double delta(Round a, Round b, String name, Predicate<Sample> which) {
    Map<String, Samples> before = byTarget(a);
    double total = 0;
    for (Map.Entry<String, Samples> e : byTarget(b).entrySet()) {
      Samples old = before.get(e.getKey());
      if (old == null) {
        continue;
      }
      double now = e.getValue().samples(name).stream().filter(which).mapToDouble(Sample::value).sum();
      double then = old.samples(name).stream().filter(which).mapToDouble(Sample::value).sum();
      total += now >= then ? now - then : now;
    }
    return total;
  }

  /** The upper bound, in ms, of the dispatch bucket holding quantile {@code q} of the dispatches between two rounds. */
  private static Double quantileMs(Round a, Round b, double q) {
    String name = "copilot_dispatch_duration_seconds_bucket";
    TreeMap<Double, Double> cumulative = new TreeMap<>();
    for (Sample s : samples(b, name)) {
      cumulative.putIfAbsent(bound(s.label("le")), 0.0);
    }
    for (Double le : cumulative.keySet()) {
      cumulative.put(le, delta(a, b, name, s -> bound(s.label("le")) == le));
    }
    double count = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    if (count <= 0) {
      return null;
    }
    for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
      if (e.getValue() >= q * count) {
        return e.getKey().isInfinite() ? null : e.getKey() * 1000;
      }
    }
    return null;
  }

  private static double bound(String le) {
    return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }
}
