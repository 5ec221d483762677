package org.cernvm.copilot.testbed;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.GetJob;
import org.cernvm.copilot.protocol.HaveGetJob;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.time.Scheduler;

/**
 * A simulated agent for load runs: a real, enrolled XMPP connection that speaks the agent's side of the
 * protocol — {@code want_getJob}, {@code getJob}, then {@code jobDone} once the payload's time has passed, and,
 * while that is acknowledged, next {@code getJob} to the same job manager first, as the real agent does — with
 * a payload that only waits its time (none by default, so that what is measured is dispatch at saturation). It
 * never blocks a thread: each step continues when the previous answer arrives or its time has passed.
 */
final class LoadAgent {
  private static final Resources SLOT = new Resources(1, 2048, 10_000, Duration.ofHours(24), "x86_64-linux", List.of());
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final Bus bus;
  private final Address service;
  private final Scheduler scheduler;
  private final Executor executor;
  private final LoadRecorder recorder;
  private final Duration jobTime;
  private volatile boolean stopped;
  private volatile Address lastJobManager;
  private volatile int directInARow;
  private volatile int idleRounds;

  LoadAgent(Bus bus, Address service, Scheduler scheduler, Executor executor, LoadRecorder recorder,
      Duration jobTime) {
    this.bus = bus;
    this.service = service;
    this.scheduler = scheduler;
    this.executor = executor;
    this.recorder = recorder;
    this.jobTime = jobTime;
  }

  /** The same agent reporting to {@code other}, for the next round. */
  LoadAgent withRecorder(LoadRecorder other) {
    return new LoadAgent(bus, service, scheduler, executor, other, jobTime);
  }

  void start() {
    ask();
  }

  void stop() {
    stopped = true;
  }

  private String self() {
    return bus.self().local();
  }

  private void ask() {
    if (stopped) {
      return;
    }
    long t0 = System.nanoTime();
    Address last = lastJobManager;
    if (last != null && directInARow < org.cernvm.copilot.agent.Agent.MAX_DIRECT_CLAIMS) {
      // As the real agent does: the job manager of the last job first, the broadcast only if it has none
      // or after a few jobs in a row.
      lastJobManager = null;
      directInARow++;
      getJob(last, t0, () -> broadcast(t0));
      return;
    }
    directInARow = 0;
    broadcast(t0);
  }

  private void broadcast(long t0) {
    recorder.wanted();
    bus.request(service, new WantGetJob(MessageIds.next(), scheduler.clock().instant(), self(), SLOT), TIMEOUT)
        .whenComplete((r, err) -> {
          if (err == null && r.reply() instanceof HaveGetJob) {
            getJob(r.from(), t0, this::idle);
          } else {
            idle();
          }
        });
  }

  /** Claims a job from {@code jobManager} and runs it, or does {@code otherwise} if none comes. */
  private void getJob(Address jobManager, long t0, Runnable otherwise) {
    recorder.requested();
    long sent = System.nanoTime();
    bus.request(jobManager, new GetJob(MessageIds.next(), scheduler.clock().instant(), self(), SLOT), TIMEOUT)
        .whenComplete((r, err) -> {
          long now = System.nanoTime();
          if (err == null && r.reply() instanceof RunJob run) {
            idleRounds = 0;
            recorder.dispatched(now - t0, now - sent);
            if (jobTime.isZero()) {
              finish(r.from(), run);
            } else {
              scheduler.schedule(jobTime, () -> executor.execute(() -> finish(r.from(), run)));
            }
            return;
          }
          if (err == null && r.reply() instanceof ErrorReply e && e.code() == ErrorCode.NO_JOB) {
            recorder.empty();
          }
          if (err == null && r.reply() instanceof ErrorReply e && e.code() == ErrorCode.NO_JOB
              && !e.retryAfter().isZero()) {
            lastJobManager = jobManager;
            idle(e.retryAfter().toMillis());
          } else {
            otherwise.run();
          }
        });
  }

  private void finish(Address jobManager, RunJob run) {
    recorder.requested();
    JobDone done = new JobDone(MessageIds.next(), scheduler.clock().instant(), self(), run.job().jobId(),
        run.lease().ref(), Outcome.SUCCEEDED, FailureKind.NONE, 0, "", Usage.none(), PayloadReport.UNKNOWN, List.of(), run.ticket().job());
    bus.request(jobManager, done, TIMEOUT).whenComplete((r, err) -> {
      if (err == null && r.reply() instanceof Ack) {
        recorder.finished(run.job().jobId());
      } else {
        recorder.failed(run.job().jobId(), err != null ? err.toString() : String.valueOf(r.reply()));
      }
    });
    lastJobManager = jobManager;
    ask();
  }

  /** Waits before asking again, twice as long after each empty answer (100 ms to 2 s), as agents do. */
  private void idle() {
    idle(Math.min(2000, 100L << Math.min(idleRounds++, 5)));
  }

  /** Waits about {@code base} ms before asking again. */
  private void idle(long base) {
    if (!stopped) {
      // Off the timer thread, which must stay free to time out requests.
      scheduler.schedule(Duration.ofMillis(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1)),
          () -> executor.execute(this::ask));
    }
  }
}
