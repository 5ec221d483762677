package org.cernvm.copilot.jobmanager.generic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

/** The generic queue in a directory: what the contract asks, and what is the directory's own. */
class GenericQueueTest extends JobQueueContract {
  @TempDir Path dir;

  @Override
  JobQueue open(Clock clock, int maxAttempts) throws Exception {
    return GenericQueue.open(dir, clock, maxAttempts);
  }

  @Test
  void stateSurvivesReopeningAndACrashLeftoverIsRepaired() throws Exception {
    String id = queue.submit(NewJob.of("true"));
    Claim c = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    // Simulate a crash between rename and delete: an older copy stays behind in queued/.
    Files.copy(dir.resolve("leased").resolve(id + ".json"), dir.resolve("tmp").resolve("x"));
    QueuedJob leased = queue.get(id).orElseThrow();
    Files.writeString(dir.resolve("queued").resolve(id + ".json"),
        Files.readString(dir.resolve("leased").resolve(id + ".json")).replace("\"version\" : " + leased.version(),
            "\"version\" : 0").replace("LEASED", "QUEUED"));

    GenericQueue reopened = GenericQueue.open(dir, time.clock(), 2);
    assertThat(reopened.list()).hasSize(1);
    assertThat(reopened.get(id).orElseThrow().status()).isEqualTo(JobStatus.LEASED);
    assertThat(Files.list(dir.resolve("tmp"))).isEmpty();
    assertThat(reopened.claim("agent-2", ONE_CORE, LEASE)).isEmpty();
    reopened.finish(done(c, Outcome.SUCCEEDED));
    assertThat(reopened.counts().get(JobStatus.DONE)).isEqualTo(1);
  }

  @Test
  void issue7_jobsQueuedByAnotherProcessAreSeenThoughTheListingOfTheQueueIsReused() throws Exception {
    GenericQueue other = GenericQueue.open(dir, time.clock(), 2);
    String a = queue.submit(NewJob.of("true"));
    String b = queue.submit(NewJob.of("true"));
    assertThat(queue.hasWorkFor(ONE_CORE)).isTrue();
    assertThat(queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow().job().jobId()).isEqualTo(a);
    // Another job manager on the host takes b and queues c; this one's listing still names b only.
    assertThat(other.claim("agent-2", ONE_CORE, LEASE).orElseThrow().job().jobId()).isEqualTo(b);
    String c = other.submit(NewJob.of("true"));
    assertThat(queue.hasWorkFor(ONE_CORE)).isTrue();
    assertThat(queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow().job().jobId()).isEqualTo(c);
    assertThat(queue.claim("agent-1", ONE_CORE, LEASE)).isEmpty();
    assertThat(queue.hasWorkFor(ONE_CORE)).isFalse();
  }
}
