package org.cernvm.copilot.monitor;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the dashboard shows, as its page reads it ({@code /state.json}): the roles scraped, the agents, jobs
 * by state for each source, failures by kind, storage, and an hour of rates to chart.
 *
 * @param agentsConnected agents running a job (summed over the job managers, each counting those whose jobs
 *     it leased) and agents waiting
 * @param agentsWaiting agents whose latest job request found no job: the most that any one job manager
 *     counts, since an agent's {@code want_getJob} reaches them all
 */
public record DashboardState(Instant at, List<TargetState> targets, double agentsConnected, double agentsWaiting,
    List<SourceJobs> sources, List<Failures> failures, Storage storage, Series series) {
  static final DashboardState EMPTY = new DashboardState(null, List.of(), 0, 0, List.of(), List.of(),
      new Storage(0, 0, 0), new Series(List.of(), List.of(), List.of(), List.of()));

  /** A scraped role: whether its last scrape worked, and why not. */
  public record TargetState(String name, String url, boolean up, String error) {}

  /** One source's jobs: leased, running, prefetched, and ended by outcome. */
  public record SourceJobs(String source, Map<String, Double> jobs) {
    static SourceJobs empty(String source) {
      return new SourceJobs(source, new LinkedHashMap<>());
    }

    void add(String state, double n) {
      jobs.merge(state, n, Double::sum);
    }
  }

  /** The failed job ends of one kind: all the job managers counted, and those within the history. */
  public record Failures(String kind, double total, double recent) {
    Failures plus(Failures other) {
      return new Failures(kind, total + other.total, recent + other.recent);
    }
  }

  /** The storage adapters' uploads stored and refused or failed, and the bytes stored. */
  public record Storage(double uploadsStored, double uploadsNotStored, double bytesStored) {}

  /** Rates between consecutive scrapes: time (epoch seconds), jobs ended per second, dispatch p99, bytes stored per second. */
  public record Series(List<Long> t, List<Double> jobsPerSecond, List<Double> dispatchP99Ms,
      List<Double> storageBytesPerSecond) {}
}
