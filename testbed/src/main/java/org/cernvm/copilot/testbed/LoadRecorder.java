package org.cernvm.copilot.testbed;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the simulated agents of one round saw: finished jobs and failures over the whole round, and dispatch
 * latencies and requests sent since {@link #measureFromNow} (after the warm-up).
 */
final class LoadRecorder {
  private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
  private final Map<String, AtomicInteger> finished = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final LongAdder wants = new LongAdder();
  private final LongAdder others = new LongAdder();
  private final LongAdder empty = new LongAdder();
  private final ConcurrentLinkedQueue<Long> roundTrips = new ConcurrentLinkedQueue<>();

  /** A {@code want_getJob} went to the service address. */
  void wanted() {
    wants.increment();
  }

  /** A {@code getJob} or {@code jobDone} went to one job manager. */
  void requested() {
    others.increment();
  }

  /**
   * A job was dispatched: {@code nanos} from the slot's first request to its {@code runJob}, of which the
   * last {@code getJob}'s round trip took {@code roundTripNanos}.
   */
  void dispatched(long nanos, long roundTripNanos) {
    latencies.add(nanos);
    roundTrips.add(roundTripNanos);
  }

  /** A {@code getJob} was answered {@code NO_JOB}. */
  void empty() {
    empty.increment();
  }

  /** {@code NO_JOB} answers per finished job since {@link #measureFromNow}. */
  double emptyPerJob(int measuredJobs) {
    return empty.sum() / (double) Math.max(1, measuredJobs);
  }

  /** The {@code q}-quantile of the round trip of the {@code getJob} that got the job, in milliseconds. */
  double roundTripMs(double q) {
    return quantileMs(roundTrips, q);
  }

  void finished(String jobId) {
    finished.computeIfAbsent(jobId, k -> new AtomicInteger()).incrementAndGet();
  }

  void failed(String jobId, String why) {
    failures.add(jobId + ": " + why);
  }

  /** Forgets the latencies and requests so far: what follows is measured. */
  void measureFromNow() {
    latencies.clear();
    roundTrips.clear();
    empty.reset();
    wants.reset();
    others.reset();
  }

  /** How many distinct jobs were finished. */
  int finishedJobs() {
    return finished.size();
  }

  /** How many jobs were finished more than once. */
  int duplicates() {
    return (int) finished.values().stream().filter(n -> n.get() > 1).count();
  }

  /**
   * The messages delivered per finished job when {@code jobManagers} serve the service: each
   * {@code want_getJob} reaches every job manager and, while work remains, draws a {@code have_getJob}
   * from each; each {@code getJob} and {@code jobDone} draws one answer (a direct {@code getJob} to the last
   * job manager included).
   */
  double messagesPerJob(int jobManagers, int measuredJobs) {
    int jobs = Math.max(1, measuredJobs);
    return (wants.sum() * 2.0 * jobManagers + others.sum() * 2.0) / jobs;
  }

  List<String> failures() {
    return List.copyOf(failures);
  }

  /** The {@code q}-quantile of dispatch latency in milliseconds (0 when nothing was dispatched). */
  double latencyMs(double q) {
    return quantileMs(latencies, q);
  }

  private static double quantileMs(ConcurrentLinkedQueue<Long> nanos, double q) {
    List<Long> sorted = new ArrayList<>(nanos);
    if (sorted.isEmpty()) {
      return 0;
    }
    Collections.sort(sorted);
    int i = (int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(q * sorted.size()) - 1));
    return sorted.get(i) / 1e6;
  }
}
