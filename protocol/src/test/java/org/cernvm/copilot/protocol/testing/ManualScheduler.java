package org.cernvm.copilot.protocol.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;
import org.cernvm.copilot.protocol.time.Scheduler;

/**
 * A scheduler on a fake clock: nothing runs until a test calls {@link #advance}, which moves the clock
 * and runs every task that has come due, in order, on the calling thread.
 */
public final class ManualScheduler implements Scheduler {
  private final class Task implements Comparable<Task>, Cancellable {
    private Instant due;
    private final Duration period;
    private final Runnable body;
    private final long seq;
    private boolean cancelled;

    private Task(Instant due, Duration period, Runnable body, long seq) {
      this.due = due;
      this.period = period;
      this.body = body;
      this.seq = seq;
    }

    @Override
    public int compareTo(Task o) {
      int c = due.compareTo(o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public void cancel() {
      synchronized (ManualScheduler.this) {
        cancelled = true;
        queue.remove(this);
      }
    }
  }

  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private Instant now;
  private long seq;

  private final Clock clock =
      new Clock() {
        @Override
        public ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          synchronized (ManualScheduler.this) {
            return now;
          }
        }
      };

  /** Creates a scheduler whose clock starts at {@code start}. */
  public ManualScheduler(Instant start) {
    this.now = start;
  }

  /** Creates a scheduler whose clock starts at 2026-01-01T00:00:00Z. */
  public ManualScheduler() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public synchronized Cancellable schedule(Duration delay, Runnable task) {
    Task t = new Task(now.plus(delay), null, task, seq++);
    queue.add(t);
    return t;
  }

  @Override
  public synchronized Cancellable every(Duration period, Runnable task) {
    Task t = new Task(now.plus(period), period, task, seq++);
    queue.add(t);
    return t;
  }

  /** Moves the clock forward by {@code step}, running every task that comes due on the way. */
  public void advance(Duration step) {
    Instant target;
    synchronized (this) {
      target = now.plus(step);
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due.isAfter(target)) {
          now = target;
          return;
        }
        queue.poll();
        now = next.due;
      }
      next.body.run();
      synchronized (this) {
        if (next.period != null && !next.cancelled) {
          next.due = next.due.plus(next.period);
          queue.add(next);
        }
      }
    }
  }

  /** How many tasks are waiting. */
  public synchronized int pending() {
    return queue.size();
  }
}
