package org.cernvm.copilot.jobmanager;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.Verb;

/**
 * A job manager's Prometheus metrics: jobs leased and ended, dispatch latency, live leases, the agents heard
 * from, messages by verb, refusals by code, and calls to the job source. No label names a job or an agent,
 * so the number of series stays fixed however many of them pass.
 */
public final class JobManagerMetrics {
  /**
   * The most agents and jobs remembered for the gauges; past it Caffeine evicts some by its own policy, and
   * the gauges count low.
   */
  static final int MAX_TRACKED = 200_000;
  /**
   * How long an agent whose request found no job counts as waiting: longer than an idle agent's longest
   * back-off between requests ({@code agent.idle-backoff-max}, 30 s by default), so that it is counted all
   * the while it waits; short enough that an agent that asked every replica and got its job from another
   * soon leaves this one's count.
   */
  static final Duration WAITING_FOR = Duration.ofMinutes(1);

  /** What an agent was doing when this replica last heard of it. */
  private enum Seen { WAITING, BUSY }

  private final String source;
  private final Counter leased;
  private final Counter ended;
  private final Counter failed;
  private final Histogram dispatch;
  private final Counter received;
  private final Counter refused;
  private final Histogram calls;
  private final Counter callErrors;
  /** The jobs whose lease passed through this replica and has neither ended nor lapsed. */
  private final Cache<String, Boolean> leases;
  /** The jobs whose end this replica counted, by job and lease, so that a resent end counts once. */
  private final Cache<String, Boolean> counted;
  /** Each agent heard from recently: asking for work (for a minute) or running a job here (a lease time). */
  private final Cache<String, Seen> agents;

  /**
   * Registers the metrics of a job manager serving {@code source} in {@code registry}.
   *
   * @param liveFor how long an agent or lease counts after it was last heard of: the lease time
   * @param prefetchDepth the jobs waiting in the prefetch
   */
  JobManagerMetrics(PrometheusRegistry registry, String source, Clock clock, Duration liveFor,
      IntSupplier prefetchDepth) {
    this.source = source;
    Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    this.leases = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(liveFor).maximumSize(MAX_TRACKED).build();
    this.counted = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(liveFor).maximumSize(MAX_TRACKED).build();
    Duration waitingFor = liveFor.compareTo(WAITING_FOR) < 0 ? liveFor : WAITING_FOR;
    this.agents = Caffeine.newBuilder().ticker(ticker).maximumSize(MAX_TRACKED)
        .expireAfter(new Expiry<String, Seen>() {
          @Override
          public long expireAfterCreate(String agent, Seen seen, long now) {
            return (seen == Seen.BUSY ? liveFor : waitingFor).toNanos();
          }

          @Override
          public long expireAfterUpdate(String agent, Seen seen, long now, long left) {
            return expireAfterCreate(agent, seen, now);
          }

          @Override
          public long expireAfterRead(String agent, Seen seen, long now, long left) {
            return left;
          }
        }).build();
    leased = Counter.builder().name("copilot_jobs_leased_total").help("Jobs leased to agents")
        .labelNames("source").register(registry);
    ended = Counter.builder().name("copilot_jobs_ended_total")
        .help("Job ends recorded upstream, by the outcome the agent reported").labelNames("source", "outcome")
        .register(registry);
    failed = Counter.builder().name("copilot_jobs_failed_total")
        .help("Job ends recorded upstream that did not succeed, by the kind of failure the agent reported")
        .labelNames("source", "kind").register(registry);
    dispatch = Histogram.builder().name("copilot_dispatch_duration_seconds").unit(Unit.SECONDS)
        .help("From an agent's job request reaching the job manager to the job leased to it being sent")
        .labelNames("source").classicOnly()
        .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
        .register(registry);
    received = Counter.builder().name("copilot_messages_received_total").help("Messages received, by verb")
        .labelNames("verb").register(registry);
    refused = Counter.builder().name("copilot_requests_refused_total")
        .help("Error replies sent, by their code (no_job included)").labelNames("code").register(registry);
    calls = Histogram.builder().name("copilot_source_call_duration_seconds").unit(Unit.SECONDS)
        .help("Calls to the job source (the upstream server, or the local queue), by call").classicOnly()
        .classicUpperBounds(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
        .labelNames("source", "call").register(registry);
    callErrors = Counter.builder().name("copilot_source_call_errors_total")
        .help("Failed calls to the job source, by call and by whether the failure may pass")
        .labelNames("source", "call", "retryable").register(registry);
    GaugeWithCallback.builder().name("copilot_leases_active")
        .help("Jobs leased through this job manager that have neither ended nor lapsed").labelNames("source")
        .callback(cb -> cb.call(live(leases), source)).register(registry);
    GaugeWithCallback.builder().name("copilot_agents_connected")
        .help("Agents running a job through this job manager or asking it for work")
        .callback(cb -> cb.call(live(agents))).register(registry);
    GaugeWithCallback.builder().name("copilot_agents_busy")
        .help("Agents whose latest message to this job manager was about a job it leased: a lease, a heartbeat")
        .callback(cb -> cb.call(count(Seen.BUSY))).register(registry);
    GaugeWithCallback.builder().name("copilot_agents_waiting")
        .help("Agents whose latest job request to this job manager, within a minute, found no job here")
        .callback(cb -> cb.call(count(Seen.WAITING))).register(registry);
    GaugeWithCallback.builder().name("copilot_prefetch_jobs").help("Jobs claimed ahead, waiting for an agent")
        .labelNames("source").callback(cb -> cb.call(prefetchDepth.getAsInt(), source)).register(registry);
  }

  private static double live(Cache<String, ?> cache) {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  private double count(Seen seen) {
    agents.cleanUp();
    return agents.asMap().values().stream().filter(seen::equals).count();
  }

  /** A message came in. */
  void received(Verb verb) {
    received.labelValues(label(verb)).inc();
  }

  /** An error reply went out. */
  void refused(ErrorCode code) {
    refused.labelValues(label(code)).inc();
  }

  /** An agent asked for a job. */
  void asked(String agentId) {
    agents.put(agentId, Seen.WAITING);
  }

  /** An agent told of a job it runs. */
  void heard(String agentId, String jobId) {
    agents.put(agentId, Seen.BUSY);
    leases.put(jobId, Boolean.TRUE);
  }

  /** A job was leased to an agent, {@code waited} after the agent's request arrived. */
  void leased(String agentId, String jobId, Duration waited) {
    leased.labelValues(source).inc();
    dispatch.labelValues(source).observe(waited.toNanos() / 1e9);
    agents.put(agentId, Seen.BUSY);
    leases.put(jobId, Boolean.TRUE);
  }

  /**
   * A job's end was recorded upstream. It is counted once, and only by a replica that knew the job (leased
   * it, or heard its heartbeats) or that the agent addressed: an agent that got no acknowledgement sends
   * its end again to the service address, which reaches every replica, and each records it again.
   *
   * @param addressedHere whether the agent sent the end to this replica rather than to the service
   */
  void ended(JobDone done, boolean addressedHere) {
    boolean known = leases.asMap().remove(done.jobId()) != null;
    if (!(known || addressedHere)
        || counted.asMap().putIfAbsent(done.jobId() + " " + done.lease(), Boolean.TRUE) != null) {
      return;
    }
    ended.labelValues(source, label(done.outcome())).inc();
    if (done.outcome() != Outcome.SUCCEEDED && done.failure() != FailureKind.NONE) {
      failed.labelValues(source, label(done.failure())).inc();
    }
  }

  private static String label(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** A call to the job source took {@code nanos}, failing with {@code failure} if not null. */
  void called(String call, long nanos, JobSourceException failure) {
    calls.labelValues(source, call).observe(nanos / 1e9);
    if (failure != null) {
      failed(call, failure);
    }
  }

  /** One item of a bulk call to the job source failed. */
  void failed(String call, JobSourceException failure) {
    callErrors.labelValues(source, call, String.valueOf(failure.code().retryable())).inc();
  }
}
