package org.cernvm.copilot.jobmanager;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs a job manager has claimed from its source ahead of the agents' requests, so that an agent's
 * {@code getJob} is answered from memory and never waits on an upstream call, as Harvester's job fetcher
 * keeps jobs for its workers.
 *
 * <p>Jobs are kept per resource shape: the cores, platform and experiments an agent offers, and its memory,
 * disk and lifetime rounded down to their three leading binary digits (so less than a quarter below the
 * offer), which keeps the shapes few while agents' free disk and remaining lifetime drift. Jobs are claimed
 * for the shape's rounded-down resources, so each fits every agent of the shape. The job manager itself
 * holds their leases until it hands one to an agent ({@link JobSource#assign}).
 *
 * <p>Each shape's depth follows its demand: twice the jobs its agents take in the time a claim takes
 * upstream, between {@code prefetch-min} and {@code prefetch-max}; refills run on the upstream threads, up
 * to {@value #CALLS_PER_SHAPE} calls per shape at once (concurrent claims for upstreams without bulk ones),
 * each for up to {@link JobSource#maxClaimBatch()} jobs. An upstream that gives fewer than asked is not
 * asked again for that shape for {@code prefetch-empty-pause}.
 *
 * <p>No prefetched job is lost: one that waits longer than {@code prefetch-max-age}, and every waiting job
 * when the job manager stops in order, is handed back to its source ({@link JobSource#release}). After a
 * crash, the leases the job manager held run out upstream as an agent's do: the generic queue queues them
 * again after {@code prefetch-max-age} plus the lease time, PanDA and AliEn by their own timeouts.
 */
public final class Prefetch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Prefetch.class);
  /** How often demand is measured and old jobs handed back. */
  static final Duration TICK = Duration.ofMillis(250);
  /** Claims under way per shape at most. */
  static final int CALLS_PER_SHAPE = 4;
  private static final Duration HINT_MIN = Duration.ofMillis(50);
  /** Requests that may wait for one shape's refill at once; more are answered at once. */
  private static final int MAX_WAITERS = 1024;
  private static final Duration HINT_MAX = Duration.ofSeconds(30);

  private final JobSource source;
  private final String holder;
  private final Duration leaseTime;
  private final JobManagerConfig.Prefetching limits;
  private final Scheduler scheduler;
  private final UpstreamCalls calls;
  private final Map<Shape, Buffer> buffers = new ConcurrentHashMap<>();
  private final AtomicLong claimCalls = new AtomicLong();
  private final AtomicLong claimed = new AtomicLong();
  private final Object idle = new Object();
  private int callsUnderWay;
  private volatile boolean closed;
  private Scheduler.Cancellable ticker;

  /**
   * The resources prefetched for: cores, platform and experiments as offered, memory, disk and lifetime
   * (in seconds) rounded down to their three leading binary digits.
   */
  record Shape(int cores, long memoryMb, long diskMb, long lifetimeSeconds, String platform, List<String> experiments) {
    static Shape of(Resources r) {
      return new Shape(r.cores(), floor(r.memoryMb()), floor(r.diskMb()), floor(r.lifetime().toSeconds()), r.platform(),
          List.copyOf(r.experiments()));
    }

    Resources resources() {
      return new Resources(cores, memoryMb, diskMb, Duration.ofSeconds(lifetimeSeconds), platform, experiments);
    }
  }

  /** {@code value} with all but its three leading binary digits cleared. */
  static long floor(long value) {
    if (value < 8) {
      return value;
    }
    int shift = 61 - Long.numberOfLeadingZeros(value);
    return (value >> shift) << shift;
  }

  /** One job waiting for an agent. */
  private record Waiting(Claim claim, Instant since) {}

  /** The jobs and demand of one shape; guarded by its own monitor. */
  private final class Buffer {
    final Shape shape;
    final ArrayDeque<Waiting> jobs = new ArrayDeque<>();
    int claiming;
    int calls;
    int asks;
    double ratePerSecond;
    Instant measuredAt;
    Instant lastAsked;
    /** Requests waiting for this shape's refill; completed with whether it brought jobs. */
    final List<CompletableFuture<Boolean>> waiters = new ArrayList<>();
    /** A claim call's duration, smoothed; a second until one was measured. */
    double claimSeconds = 1.0;
    Instant emptyUntil = Instant.MIN;

    Buffer(Shape shape, Instant now) {
      this.shape = shape;
      this.measuredAt = now;
      this.lastAsked = now;
    }

    /** Twice the jobs taken while one claim call runs, within the configured bounds. */
    int target(Instant now) {
      double sinceTick = Math.max(0.05, Duration.between(measuredAt, now).toNanos() / 1e9);
      double rate = Math.max(ratePerSecond, asks / sinceTick);
      int wanted = rate == 0 ? 0 : (int) Math.ceil(2 * rate * (claimSeconds + TICK.toNanos() / 1e9));
      return Math.max(limits.min(), Math.min(limits.max(), wanted));
    }
  }

  /** A prefetch for {@code source}, whose leases {@code holder} (the job manager's own address) holds. */
  Prefetch(JobSource source, String holder, Duration leaseTime, JobManagerConfig.Prefetching limits,
      Scheduler scheduler, UpstreamCalls calls) {
    this.source = source;
    this.holder = holder;
    this.leaseTime = leaseTime;
    this.limits = limits;
    this.scheduler = scheduler;
    this.calls = calls;
  }

  /** Starts measuring demand and handing back old jobs. */
  void start() {
    ticker = scheduler.every(TICK, this::tick);
  }

  /**
   * Whether a job for {@code resources} waits here, now or, when none does, once the refill that asking
   * starts has come back, within {@code wait}. Asking when none waits counts as demand.
   *
   * @return completes with whether a job waits
   */
  CompletableFuture<Boolean> has(Resources resources, Duration wait) {
    Buffer b = buffer(Shape.of(resources));
    CompletableFuture<Boolean> answer;
    synchronized (b) {
      b.lastAsked = now();
      if (!b.jobs.isEmpty()) {
        return CompletableFuture.completedFuture(true);
      }
      b.asks++;
      if (b.waiters.size() >= MAX_WAITERS) {
        return CompletableFuture.completedFuture(false);
      }
      answer = new CompletableFuture<>();
      b.waiters.add(answer);
    }
    refill(b);
    synchronized (b) {
      if (b.calls == 0) {
        // No refill started (the upstream had nothing a moment ago): nothing to wait for.
        b.waiters.remove(answer);
        answer.complete(!b.jobs.isEmpty());
        return answer;
      }
    }
    Scheduler.Cancellable timer = scheduler.schedule(wait, () -> {
      synchronized (b) {
        b.waiters.remove(answer);
      }
      answer.complete(false);
    });
    answer.whenComplete((v, e) -> timer.cancel());
    return answer;
  }

  /**
   * Takes a waiting job for {@code resources} out, for the job manager to hand to an agent
   * ({@link JobSource#assign}); it goes back with {@link #putBack} if that fails in a way that may pass.
   *
   * @return the job as prefetched, or empty when none waits (a refill is then under way)
   */
  Optional<Claim> take(Resources resources) {
    Buffer b = buffer(Shape.of(resources));
    Waiting w;
    synchronized (b) {
      b.asks++;
      b.lastAsked = now();
      w = b.jobs.pollFirst();
    }
    refill(b);
    return Optional.ofNullable(w).map(Waiting::claim);
  }

  /** Returns a job taken for {@code resources} whose hand-over failed in a way that may pass. */
  void putBack(Resources resources, Claim claim) {
    Buffer b = buffer(Shape.of(resources));
    synchronized (b) {
      if (!closed) {
        b.jobs.addFirst(new Waiting(claim, now()));
        return;
      }
    }
    handBack(List.of(claim), "the job manager is stopping");
  }

  /**
   * When an agent that found nothing for {@code resources} is best to ask again: when the refill under way
   * should be back, or when the upstream is asked again after it had nothing.
   */
  Duration retryAfter(Resources resources) {
    Buffer b = buffers.get(Shape.of(resources));
    if (b == null) {
      return HINT_MIN;
    }
    Duration hint;
    synchronized (b) {
      Duration call = Duration.ofNanos((long) (b.claimSeconds * 1e9));
      Duration untilAsked = Duration.between(now(), b.emptyUntil);
      hint = b.calls > 0 || untilAsked.isNegative() ? call : untilAsked.plus(call);
    }
    return hint.compareTo(HINT_MIN) < 0 ? HINT_MIN : hint.compareTo(HINT_MAX) > 0 ? HINT_MAX : hint;
  }

  /** How many jobs wait here now, over every shape. */
  public int depth() {
    int n = 0;
    for (Buffer b : buffers.values()) {
      synchronized (b) {
        n += b.jobs.size();
      }
    }
    return n;
  }

  /** How many claim calls were made upstream so far. */
  public long claimCalls() {
    return claimCalls.get();
  }

  /** How many jobs were claimed so far. */
  public long claimed() {
    return claimed.get();
  }

  private Buffer buffer(Shape shape) {
    Buffer b = buffers.get(shape);
    if (b != null) {
      return b;
    }
    b = buffers.computeIfAbsent(shape, s -> new Buffer(s, now()));
    if (buffers.size() > limits.shapes()) {
      Buffer self = b;
      buffers.values().stream().filter(o -> o != self).min(Comparator.comparing(o -> lastAsked(o)))
          .ifPresent(oldest -> {
            if (buffers.remove(oldest.shape, oldest)) {
              handBack(drain(oldest), "its resource shape was dropped for newer ones");
            }
          });
    }
    return b;
  }

  private static Instant lastAsked(Buffer b) {
    synchronized (b) {
      return b.lastAsked;
    }
  }

  private static List<Claim> drain(Buffer b) {
    List<Claim> out = new ArrayList<>();
    synchronized (b) {
      b.jobs.forEach(w -> out.add(w.claim()));
      b.jobs.clear();
    }
    return out;
  }

  private void refill(Buffer b) {
    int n;
    Instant now = now();
    synchronized (b) {
      if (closed || now.isBefore(b.emptyUntil) || b.calls >= CALLS_PER_SHAPE) {
        return;
      }
      int need = b.target(now) - b.jobs.size() - b.claiming;
      if (need <= 0) {
        return;
      }
      n = Math.min(need, Math.max(1, source.maxClaimBatch()));
      b.claiming += n;
      b.calls++;
    }
    synchronized (idle) {
      callsUnderWay++;
    }
    claimCalls.incrementAndGet();
    long t0 = System.nanoTime();
    Duration prefetchLease = limits.maxAge().plus(leaseTime);
    calls.submit("prefetch of " + n + " job(s)", () -> source.claim(holder, b.shape.resources(), prefetchLease, n))
        .whenComplete((claims, err) -> claimed(b, n, System.nanoTime() - t0, claims, err));
  }

  private void claimed(Buffer b, int asked, long nanos, List<Claim> claims, Throwable err) {
    List<Claim> back = new ArrayList<>();
    boolean more;
    List<CompletableFuture<Boolean>> waiters = List.of();
    boolean answer = false;
    synchronized (b) {
      b.claiming -= asked;
      b.calls--;
      b.claimSeconds = 0.7 * b.claimSeconds + 0.3 * (nanos / 1e9);
      if (err != null || claims.size() < asked) {
        b.emptyUntil = now().plus(limits.emptyPause());
      }
      if (claims != null) {
        claimed.addAndGet(claims.size());
        for (Claim c : claims) {
          if (closed) {
            back.add(c);
          } else {
            b.jobs.addLast(new Waiting(c, now()));
          }
        }
      }
      more = err == null && claims.size() == asked;
      if (b.calls == 0 || !b.jobs.isEmpty()) {
        boolean any = !b.jobs.isEmpty();
        waiters = new ArrayList<>(b.waiters);
        b.waiters.clear();
        answer = any;
      }
    }
    boolean filled = answer;
    waiters.forEach(w -> w.complete(filled));
    if (err != null) {
      log.warn("prefetch from {} failed: {}", source.name(), Untrusted.text(String.valueOf(err.getMessage())));
    }
    handBack(back, "the job manager is stopping");
    synchronized (idle) {
      callsUnderWay--;
      idle.notifyAll();
    }
    if (more) {
      refill(b);
    }
  }

  private void tick() {
    Instant now = now();
    for (Buffer b : buffers.values()) {
      List<Claim> old = new ArrayList<>();
      boolean forget;
      synchronized (b) {
        double seconds = Math.max(1e-3, Duration.between(b.measuredAt, now).toNanos() / 1e9);
        b.ratePerSecond = 0.5 * b.ratePerSecond + 0.5 * (b.asks / seconds);
        b.asks = 0;
        b.measuredAt = now;
        while (!b.jobs.isEmpty() && b.jobs.peekFirst().since().plus(limits.maxAge()).isBefore(now)) {
          old.add(b.jobs.pollFirst().claim());
        }
        forget = b.jobs.isEmpty() && b.calls == 0 && b.lastAsked.plus(limits.maxAge()).isBefore(now);
      }
      handBack(old, "prefetched and not handed out within " + limits.maxAge());
      if (forget) {
        buffers.remove(b.shape, b);
      } else {
        refill(b);
      }
    }
  }

  private List<CompletableFuture<Void>> handBack(List<Claim> claims, String why) {
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (Claim c : claims) {
      done.add(calls.submit("hand-back of " + c.job().jobId(), () -> {
        source.release(c.job().jobId(), c.lease().ref(), why);
        return (Void) null;
      }).whenComplete((v, err) -> {
        if (err != null) {
          log.warn("prefetched job {} not handed back ({}); the upstream takes it back when its lease runs out: {}",
              c.job().jobId(), why, Untrusted.text(String.valueOf(err.getMessage())));
        }
      }));
    }
    if (!claims.isEmpty()) {
      log.info("handing {} prefetched job(s) back: {}", claims.size(), why);
    }
    return done;
  }

  /**
   * Stops prefetching and hands every waiting job back, including those of claims under way, waiting up
   * to 30 s for them.
   */
  @Override
  public void close() {
    closed = true;
    if (ticker != null) {
      ticker.cancel();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    synchronized (idle) {
      while (callsUnderWay > 0 && System.nanoTime() < deadline) {
        try {
          idle.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    for (Buffer b : buffers.values()) {
      List<CompletableFuture<Boolean>> waiting;
      synchronized (b) {
        waiting = new ArrayList<>(b.waiters);
        b.waiters.clear();
      }
      waiting.forEach(w -> w.complete(false));
      pending.addAll(handBack(drain(b), "the job manager is stopping"));
    }
    try {
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
          .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      // Each failed hand-back was logged with its job.
    }
  }

  private Instant now() {
    return scheduler.clock().instant();
  }
}
