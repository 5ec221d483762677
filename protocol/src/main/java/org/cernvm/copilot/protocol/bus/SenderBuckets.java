package org.cernvm.copilot.protocol.bus;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.cernvm.copilot.protocol.Untrusted;
import org.slf4j.Logger;

/**
 * The token buckets of {@link UnauthenticatedLimits}: one per full address, and one shared by all senders
 * for the log lines their refused messages cost, so that many senders cannot fill the log either.
 *
 * <p>Buckets are kept for at most {@value #MAX_SENDERS} senders and forgotten once quiet for as long as a
 * bucket takes to fill again (ten minutes at least). A sender whose message then authenticates is
 * forgiven: its bucket is forgotten at once, since only a peer with a certificate can do that.
 */
final class SenderBuckets {
  static final int MAX_SENDERS = 10_000;

  /** One sender's tokens, refilled lazily from the clock. */
  private static final class Bucket {
    private final int capacity;
    private final long refillNanos;
    private double tokens;
    private long updatedNanos;

    Bucket(int capacity, long refillNanos, long now) {
      this.capacity = capacity;
      this.refillNanos = refillNanos;
      this.tokens = capacity;
      this.updatedNanos = now;
    }

    synchronized boolean take(long now) {
      refill(now);
      if (tokens < 1) {
        return false;
      }
      tokens--;
      return true;
    }

    synchronized boolean empty(long now) {
      refill(now);
      return tokens < 1;
    }

    private void refill(long now) {
      if (now > updatedNanos) {
        tokens = Math.min(capacity, tokens + (double) (now - updatedNanos) / refillNanos);
        updatedNanos = now;
      }
    }
  }

  private final UnauthenticatedLimits limits;
  private final Clock clock;
  private final Cache<Address, Bucket> buckets;
  private final Bucket logLines;
  private final Map<Address, LongAdder> dropped = new ConcurrentHashMap<>();
  private final LongAdder unlogged = new LongAdder();
  private final LongAdder droppedEver = new LongAdder();
  private final AtomicBoolean summaryDue = new AtomicBoolean();
  private final Runnable scheduleSummary;

  /**
   * Buckets of {@code limits} on {@code clock}.
   *
   * @param scheduleSummary arranges for {@link #summarize} to run one {@code summaryEvery} from now; it is
   *     called when something is dropped or left unlogged and no summary is due yet, so that a component
   *     nobody attacks runs no timer for it
   */
  SenderBuckets(UnauthenticatedLimits limits, Clock clock, Runnable scheduleSummary) {
    this.limits = limits;
    this.clock = clock;
    this.scheduleSummary = scheduleSummary;
    Duration refilled = limits.refill().multipliedBy(limits.burst());
    this.buckets = Caffeine.newBuilder()
        .ticker(this::nanos)
        .expireAfterAccess(refilled.compareTo(Duration.ofMinutes(10)) > 0 ? refilled : Duration.ofMinutes(10))
        .maximumSize(MAX_SENDERS)
        .build();
    this.logLines = new Bucket(limits.burst(), limits.refill().toNanos(), nanos());
  }

  private long nanos() {
    return TimeUnit.MILLISECONDS.toNanos(clock.millis());
  }

  /** Whether {@code from} has used up its share: its messages are then dropped unopened. */
  boolean exhausted(Address from) {
    Bucket b = buckets.getIfPresent(from);
    if (b == null || !b.empty(nanos())) {
      return false;
    }
    drop(from);
    return true;
  }

  /**
   * Charges one unauthenticated message from {@code from}.
   *
   * @return whether its share held it; if not, it is to be dropped, and the summary counts it
   */
  boolean charge(Address from) {
    long now = nanos();
    Bucket b = buckets.get(from, k -> new Bucket(limits.burst(), limits.refill().toNanos(), now));
    if (b.take(now)) {
      return true;
    }
    drop(from);
    return false;
  }

  /** Forgets what {@code from} was charged: a message of its authenticated. */
  void forgive(Address from) {
    buckets.invalidate(from);
  }

  /** Whether one more log line fits the shared share; if not, the summary counts it. */
  boolean mayLog() {
    if (logLines.take(nanos())) {
      return true;
    }
    unlogged.increment();
    summaryDue();
    return false;
  }

  private void drop(Address from) {
    droppedEver.increment();
    if (dropped.size() < MAX_SENDERS || dropped.containsKey(from)) {
      dropped.computeIfAbsent(from, k -> new LongAdder()).increment();
    } else {
      unlogged.increment();
    }
    summaryDue();
  }

  private void summaryDue() {
    if (summaryDue.compareAndSet(false, true)) {
      scheduleSummary.run();
    }
  }

  /** How many messages were dropped unopened or unanswered since this bus started. */
  long droppedEver() {
    return droppedEver.sum();
  }

  /** Logs, in one line, what was dropped or left unlogged since the last summary, if anything was. */
  void summarize(Logger log) {
    summaryDue.set(false);
    long answered = unlogged.sumThenReset();
    long total = 0;
    int senders = 0;
    Address worst = null;
    long worstCount = 0;
    for (Address a : dropped.keySet()) {
      LongAdder n = dropped.remove(a);
      long c = n == null ? 0 : n.sum();
      total += c;
      senders++;
      if (c > worstCount) {
        worst = a;
        worstCount = c;
      }
    }
    if (total == 0 && answered == 0) {
      return;
    }
    log.warn("unauthenticated traffic in the last {} s: dropped {} message(s) unanswered from {} sender(s){}, "
        + "and {} more refused without a log line each", limits.summaryEvery().toSeconds(), total, senders,
        worst == null ? "" : ", most from " + Untrusted.text(worst, 100) + " (" + worstCount + ")", answered);
  }
}
