package org.cernvm.copilot.jobmanager;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.Verb;

/**
 * A job manager's Prometheus metrics: jobs leased and ended, dispatch latency, live leases, the agents heard
 * from, messages by verb, refusals by code, and calls to the job source. No label names a job or an agent,
 * so the number of series stays fixed however many of them pass.
 */
public final class JobManagerMetrics {
  /** The most agents and jobs remembered for the gauges; past it the oldest are forgotten first. */
  static final int MAX_TRACKED = 200_000;

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
  /** Each agent heard from within a lease time: whether its latest job request found no job. */
  private final Cache<String, Boolean> agents;

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
    this.agents = Caffeine.newBuilder().ticker(ticker).expireAfterWrite(liveFor).maximumSize(MAX_TRACKED).build();
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
        .help("Agents heard from within the lease time").callback(cb -> cb.call(live(agents))).register(registry);
    GaugeWithCallback.builder().name("copilot_agents_waiting")
        .help("Agents heard from within the lease time whose latest job request found no job")
        .callback(cb -> cb.call(agents.asMap().values().stream().filter(Boolean::booleanValue).count()))
        .register(registry);
    GaugeWithCallback.builder().name("copilot_prefetch_jobs").help("Jobs claimed ahead, waiting for an agent")
        .labelNames("source").callback(cb -> cb.call(prefetchDepth.getAsInt(), source)).register(registry);
  }

  private static double live(Cache<String, Boolean> cache) {
    cache.cleanUp();
    return cache.estimatedSize();
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
    agents.put(agentId, Boolean.TRUE);
  }

  /** An agent told of a job it runs. */
  void heard(String agentId, String jobId) {
    agents.asMap().putIfAbsent(agentId, Boolean.FALSE);
    leases.put(jobId, Boolean.TRUE);
  }

  /** A job was leased to an agent, {@code waited} after the agent's request arrived. */
  void leased(String agentId, String jobId, Duration waited) {
    leased.labelValues(source).inc();
    dispatch.labelValues(source).observe(waited.toNanos() / 1e9);
    agents.put(agentId, Boolean.FALSE);
    leases.put(jobId, Boolean.TRUE);
  }

  /** A job's end was recorded upstream. */
  void ended(JobDone done) {
    ended.labelValues(source, label(done.outcome())).inc();
    if (done.outcome() != Outcome.SUCCEEDED) {
      failed.labelValues(source, label(done.failure())).inc();
    }
    leases.invalidate(done.jobId());
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
