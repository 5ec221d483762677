package org.cernvm.copilot.jobmanager.generic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.UnknownJobException;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterEach;

/**
 * What every store of the generic queue does alike (a directory, PostgreSQL): claims in order and only of
 * what fits, leases that lapse and fence, kills, hand-backs, repeated and fenced ends.
 */
abstract class JobQueueContract {
  static final Resources ONE_CORE = new Resources(1, 2048, 10_000, Duration.ofHours(24), "x86_64-linux", List.of());
  static final Duration LEASE = Duration.ofSeconds(30);

  /** The queue keeps its state in its store and never reads the ticket. */
  static final JobTicket ANY_TICKET = new JobTicket("k", "AAAAAAAAAAAAAAAA", "eA==");
  final ManualScheduler time = new ManualScheduler();
  JobQueue queue;

  /** A new, empty queue on {@code clock} whose jobs may be handed out {@code maxAttempts} times. */
  abstract JobQueue open(Clock clock, int maxAttempts) throws Exception;

  @BeforeEach
  void openQueue() throws Exception {
    queue = open(time.clock(), 2);
  }

  @AfterEach
  void closeQueue() {
    queue.close();
  }

  JobDone done(Claim c, Outcome outcome) {
    return new JobDone("d", time.clock().instant(), "agent-1", c.job().jobId(), c.lease().ref(), outcome, kindOf(outcome),
        outcome == Outcome.SUCCEEDED ? 0 : 1, outcome == Outcome.SUCCEEDED ? "" : "boom", Usage.none(), PayloadReport.UNKNOWN, List.of(),
        ANY_TICKET);
  }

  Heartbeat hb(Claim c) {
    return new Heartbeat("h", time.clock().instant(), "agent-1", c.job().jobId(), c.lease().ref(), JobState.RUNNING,
        Usage.none(), ANY_TICKET);
  }

  @Test
  void jobsAreClaimedInSubmissionOrderOnlyWhenTheyFit() throws Exception {
    String big = queue.submit(new NewJob("true", List.of(), java.util.Map.of(), List.of(), List.of(), Duration.ofHours(1), 8));
    String small = queue.submit(NewJob.of("true"));
    assertThat(queue.hasWorkFor(ONE_CORE)).isTrue();
    Claim c = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    assertThat(c.job().jobId()).isEqualTo(small);
    assertThat(c.lease().epoch()).isEqualTo(1);
    assertThat(queue.claim("agent-1", ONE_CORE, LEASE)).isEmpty();
    assertThat(queue.get(big).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
  }

  @Test
  void aJobLongerThanTheVmLifetimeIsNotHandedOut() throws Exception {
    queue.submit(NewJob.of("true").withTtl(Duration.ofHours(48)));
    assertThat(queue.claim("agent-1", ONE_CORE, LEASE)).isEmpty();
  }

  @Test
  void anExpiredLeaseRequeuesUnderANewEpochAndFencesTheOldOne() throws Exception {
    queue.submit(NewJob.of("true"));
    Claim first = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    time.advance(Duration.ofSeconds(20));
    queue.heartbeat(hb(first), LEASE);
    time.advance(Duration.ofSeconds(29));
    assertThat(queue.expireLeases()).isZero();
    time.advance(Duration.ofSeconds(2));
    assertThat(queue.expireLeases()).isEqualTo(1);

    Claim second = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    assertThat(second.lease().epoch()).isEqualTo(2);
    assertThatThrownBy(() -> queue.heartbeat(hb(first), LEASE)).isInstanceOf(LeaseFencedException.class);
    assertThatThrownBy(() -> queue.finish(done(first, Outcome.SUCCEEDED))).isInstanceOf(LeaseFencedException.class);

    queue.finish(done(second, Outcome.SUCCEEDED));
    queue.finish(done(second, Outcome.SUCCEEDED));
    QueuedJob job = queue.get(second.job().jobId()).orElseThrow();
    assertThat(job.status()).isEqualTo(JobStatus.DONE);
    assertThat(job.history().stream().filter(h -> h.contains(" DONE"))).hasSize(1);
    assertThatThrownBy(() -> queue.finish(done(first, Outcome.FAILED))).isInstanceOf(LeaseFencedException.class);
  }

  @Test
  void aJobWhoseLeaseExpiresTooOftenFails() throws Exception {
    queue.submit(NewJob.of("true"));
    for (int i = 0; i < 2; i++) {
      queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
      time.advance(LEASE.plusSeconds(1));
      queue.expireLeases();
    }
    QueuedJob job = queue.list().get(0);
    assertThat(job.status()).isEqualTo(JobStatus.FAILED);
    assertThat(job.diagnostic()).contains("after 2 attempts");
  }

  @Test
  void killCancelsAQueuedJobAndFlagsALeasedOne() throws Exception {
    String queued = queue.submit(NewJob.of("true"));
    queue.kill(queued, "not needed");
    assertThat(queue.get(queued).orElseThrow().status()).isEqualTo(JobStatus.KILLED);

    queue.submit(NewJob.of("sleep", "100"));
    Claim c = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    assertThat(queue.heartbeat(hb(c), LEASE)).isEmpty();
    queue.kill(c.job().jobId(), "operator");
    assertThat(queue.heartbeat(hb(c), LEASE)).contains("operator");
    queue.finish(done(c, Outcome.KILLED));
    assertThat(queue.get(c.job().jobId()).orElseThrow().status()).isEqualTo(JobStatus.KILLED);
    assertThatThrownBy(() -> queue.kill("g999999", "x")).isInstanceOf(UnknownJobException.class);
  }

  @Test
  void releaseRequeues() throws Exception {
    queue.submit(NewJob.of("true"));
    Claim c = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    queue.release(c.job().jobId(), c.lease().ref(), "draining");
    assertThat(queue.claim("agent-2", ONE_CORE, LEASE).orElseThrow().lease().epoch()).isEqualTo(2);
    assertThatThrownBy(() -> queue.release(c.job().jobId(), new LeaseRef("other", 1), "x"))
        .isInstanceOf(LeaseFencedException.class);
  }

  static FailureKind kindOf(Outcome outcome) {
    return outcome == Outcome.FAILED ? FailureKind.PAYLOAD : FailureKind.of(outcome);
  }
}
