package org.cernvm.copilot.jobmanager;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * A job manager's configuration.
 *
 * @param service the bare address every job manager of the service logs in under, e.g.
 *     {@code jobmanager@copilot.local}; agents send their requests there
 * @param dispatch whether to answer {@code want_getJob} with {@code have_getJob} (several job managers) or
 *     directly with {@code runJob} (a single one, one round trip less)
 * @param leaseTime how long a lease lasts without a heartbeat; agents heartbeat every third of it
 * @param sweepInterval how often expired leases are looked for
 * @param drainMemory how long a {@code drain} for an agent is remembered
 * @param queueDir the generic queue's directory
 * @param maxAttempts how often a generic job may be leased before an expired lease fails it
 * @param storage the bare addresses of the storage adapters allowed to register outputs
 * @param claimMaxWait how long a job request may have waited in this job manager, from its arrival to the
 *     end of the claim, and still be answered with a job; it must be shorter than the agents' request
 *     timeout, or a job is leased to an agent that stopped waiting
 * @param ticketKeyFile the key of the job-manager group, which seals job tickets; every replica of the
 *     service needs the same file (created, mode 600, if absent)
 * @param prefetch how many jobs are claimed ahead of the agents' requests, for sources that prefetch
 * @param upstreamCalls how many upstream calls (claims, heartbeat relays, reports) run at once; more wait,
 *     up to 64 times as many, and beyond that requests are answered {@code UPSTREAM_UNAVAILABLE}
 */
public record JobManagerConfig(
    String service,
    Dispatch dispatch,
    Duration leaseTime,
    Duration sweepInterval,
    Duration drainMemory,
    Path queueDir,
    int maxAttempts,
    List<String> storage,
    Duration claimMaxWait,
    Path ticketKeyFile,
    Prefetching prefetch,
    int upstreamCalls) {

  /**
   * The prefetch's bounds, after Harvester's job fetcher.
   *
   * @param max the most jobs waiting per resource shape (Harvester's {@code nQueueLimitJob})
   * @param min the fewest jobs kept waiting per shape once agents of that shape have asked
   *     ({@code nQueueLimitJobMin})
   * @param maxAge how long a prefetched job may wait for an agent before it is handed back upstream
   * @param shapes the most resource shapes prefetched for at once; the least recently asked is dropped
   * @param emptyPause how long a shape is not refilled after its upstream had fewer jobs than asked for
   */
  public record Prefetching(int max, int min, Duration maxAge, int shapes, Duration emptyPause) {
    /** The defaults: 500, 0, 10 minutes, 16 shapes, 1 s. */
    public static final Prefetching DEFAULTS = new Prefetching(500, 0, Duration.ofMinutes(10), 16, Duration.ofSeconds(1));

    public Prefetching {
      if (max < 1 || min < 0 || min > max) {
        throw new ConfigException("job-manager.prefetch-max must be at least 1 and prefetch-min from 0 to it: "
            + min + ", " + max);
      }
      if (maxAge.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new ConfigException("job-manager.prefetch-max-age must be at least 1s: " + maxAge);
      }
      if (shapes < 1) {
        throw new ConfigException("job-manager.prefetch-shapes must be at least 1");
      }
      if (emptyPause.isNegative()) {
        throw new ConfigException("job-manager.prefetch-empty-pause must not be negative");
      }
    }
  }

  /** How {@code want_getJob} is answered. */
  public enum Dispatch {
    /** {@code have_getJob}, then {@code getJob}/{@code runJob}: several job managers share agents. */
    HANDSHAKE,
    /** {@code runJob} at once: for a job manager that is the only one. */
    DIRECT
  }

  public JobManagerConfig {
    if (service == null || !service.contains("@") || service.contains("/")) {
      throw new ConfigException("job-manager.service must be a bare XMPP address like jobmanager@copilot.local: "
          + service);
    }
    if (leaseTime.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("job-manager.lease must be at least 1s: " + leaseTime);
    }
    if (maxAttempts < 1) {
      throw new ConfigException("job-manager.max-attempts must be at least 1");
    }
    if (claimMaxWait.isNegative() || claimMaxWait.isZero()) {
      throw new ConfigException("job-manager.claim-max-wait must be positive: " + claimMaxWait);
    }
    if (upstreamCalls < 1) {
      throw new ConfigException("job-manager.upstream-calls must be at least 1");
    }
    storage = List.copyOf(storage);
    for (String a : storage) {
      if (!a.contains("@") || a.contains("/")) {
        throw new ConfigException("job-manager.storage must list bare XMPP addresses: " + a);
      }
    }
  }

  /**
   * Reads the {@code job-manager.*} keys: {@code service}, {@code dispatch} ({@code handshake} or
   * {@code direct}), {@code lease}, {@code sweep-interval}, {@code drain-memory}, {@code queue-dir},
   * {@code max-attempts}, {@code storage} (comma-separated), {@code claim-max-wait} (2s),
   * {@code ticket-key-file} (beside the queue directory), {@code prefetch-max}, {@code prefetch-min},
   * {@code prefetch-max-age}, {@code prefetch-shapes}, {@code prefetch-empty-pause} (see {@link Prefetching}),
   * {@code upstream-calls} (16).
   */
  public static JobManagerConfig from(Settings s, String domain) {
    Duration lease = s.duration("job-manager.lease", Duration.ofSeconds(60));
    Path queueDir = s.path("job-manager.queue-dir", Path.of(System.getProperty("user.home"), ".copilot", "queue"));
    return new JobManagerConfig(
        s.string("job-manager.service", "jobmanager@" + domain),
        s.choice("job-manager.dispatch", Dispatch.class, Dispatch.HANDSHAKE),
        lease,
        s.duration("job-manager.sweep-interval", lease.dividedBy(4)),
        s.duration("job-manager.drain-memory", Duration.ofHours(24)),
        queueDir,
        s.integer("job-manager.max-attempts", 3, 1),
        s.list("job-manager.storage", List.of("storage@" + domain)),
        s.duration("job-manager.claim-max-wait", Duration.ofSeconds(2)),
        s.path("job-manager.ticket-key-file", queueDir.toAbsolutePath().resolveSibling("job-manager-ticket.key")),
        new Prefetching(
            s.integer("job-manager.prefetch-max", Prefetching.DEFAULTS.max(), 1),
            s.integer("job-manager.prefetch-min", Prefetching.DEFAULTS.min(), 0),
            s.duration("job-manager.prefetch-max-age", Prefetching.DEFAULTS.maxAge()),
            s.integer("job-manager.prefetch-shapes", Prefetching.DEFAULTS.shapes(), 1),
            s.duration("job-manager.prefetch-empty-pause", Prefetching.DEFAULTS.emptyPause())),
        s.integer("job-manager.upstream-calls", 16, 1));
  }
}
