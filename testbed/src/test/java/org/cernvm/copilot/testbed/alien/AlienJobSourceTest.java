package org.cernvm.copilot.testbed.alien;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.alien.AlienJobSource;
import org.cernvm.copilot.alien.JobStatus;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.TicketedJob;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.cernvm.copilot.testbed.AlienWorkload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The AliEn adapter's translation of a matched JDL and its failover, against the fake central services. */
class AlienJobSourceTest {
  static final Resources SLOT = new Resources(1, 2048, 20_000, Duration.ofHours(24), "x86_64-linux", List.of());

  @TempDir Path dir;

  @Test
  void issue5_aMatchedJdlBecomesACoPilotJobWithoutTheJobToken() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (AlienWorkload w = new AlienWorkload(dir, 2, time.clock())) {
      Claim c = w.source().claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
      TaskQueue.JobView view = w.alien().queue().list().stream()
          .filter(j -> j.queueId() == Long.parseLong(c.job().jobId())).findFirst().orElseThrow();
      assertThat(view.status()).isEqualTo(JobStatus.STARTED);
      assertThat(c.job().source()).isEqualTo("alien");
      assertThat(c.job().env()).containsEntry("ALIEN_PROC_ID", c.job().jobId())
          .containsEntry("ALIEN_JDL_LPMRUNNUMBER", "512345")
          .containsEntry("ALIEN_JDL_OUTPUTDIR", "/alice/sim/2026/LHC26c1/512345/001");
      assertThat(c.job().inputs()).extracting(i -> i.name())
          .containsExactly("histogram.sh", "validate.sh", "events.txt");
      assertThat(c.job().outputs()).containsExactly("result.txt", "histos.zip");
      assertThat(c.job().args()).contains("--uid", "1");
      assertThat(c.job().ttl()).isEqualTo(Duration.ofHours(1));

      // Nothing the agent receives carries the job token.
      TestPki pki = new TestPki(time.clock());
      String wire = new MessageCodec().encode(new RunJob(MessageIds.next(), time.clock().instant(), "m1", c.job(),
          c.lease(), pki.security("jobmanager", Role.JOB_MANAGER).ticket("jobmanager@t", c.job().source(),
              c.job().jobId(), "agent-1", c.lease().ref(), new JobTicket("k", "AAAAAAAAAAAAAAAA", "eA=="))));
      assertThat(w.alien().queue().liveTokens()).hasSize(1);
      for (String token : w.alien().queue().liveTokens()) {
        assertThat(wire).doesNotContain(token);
      }
    }
  }

  @Test
  void aCallRacingTheJobManagersStopIsAnUpstreamFailureNotAnInternalError() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (AlienWorkload w = new AlienWorkload(dir, 1, time.clock())) {
      AlienJobSource closed = w.openSource();
      closed.close();
      assertThatThrownBy(() -> closed.claim("agent-1", SLOT, Duration.ofMinutes(1)))
          .isInstanceOf(UpstreamUnavailableException.class).hasMessageContaining("the AliEn client is closed");
    }
  }

  @ParameterizedTest
  @CsvSource({"STAGE_IN_ADLER32_MISMATCH, ERROR_IB", "NO_LOCAL_SPACE, ERROR_IB", "STAGE_OUT, ERROR_SV",
      "MISSING_OUTPUT, ERROR_SV", "PAYLOAD, ERROR_E"})
  void aFailureKindBecomesItsAliEnErrorState(FailureKind kind, JobStatus expected) throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (AlienWorkload w = new AlienWorkload(dir, 1, time.clock())) {
      Claim c = w.source().claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
      w.source().finish(new JobDone(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(),
          c.lease().ref(), Outcome.FAILED, kind, 1, "text no adapter reads", Usage.none(), PayloadReport.UNKNOWN, List.of(), ANY));
      assertThat(status(w, c)).isEqualTo(expected);
    }
  }

  @Test
  void issue7_anAliEnJobLeasedByOneReplicaIsContinuedByAnotherFromItsTicketAndFencedOnceExpired() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (AlienWorkload w = new AlienWorkload(dir, 2, time.clock()); AlienJobSource other = w.openSource()) {
      Claim c = w.source().claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
      other.adopt(new TicketedJob(c.job(), "agent-1", c.lease().ref(), c.upstream()), Duration.ofMinutes(1));
      assertThat(other.heartbeat(heartbeat(c, time), Duration.ofMinutes(1))).isEmpty();
      assertThat(status(w, c)).isEqualTo(JobStatus.RUNNING);
      List<OutputFile> outputs = c.job().outputs().stream()
          .map(n -> new OutputFile(n, 10, "0badcafe", "0123456789abcdef0123456789abcdef")).toList();
      other.registerOutputs(new RegisterOutputs(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(),
          c.lease().ref(), outputs.stream().map(o -> new StoredFile(o, "file:///se/" + o.name())).toList(), ANY));
      other.finish(new JobDone(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(), c.lease().ref(),
          Outcome.SUCCEEDED, FailureKind.NONE, 0, "", Usage.none(), PayloadReport.UNKNOWN, outputs, ANY));
      assertThat(status(w, c)).isEqualTo(JobStatus.DONE);

      // The second job's lease expires at the replica that leased it; the other one fences its agent. The
      // first job's lease expires there too, but AliEn keeps it DONE.
      Claim d = w.source().claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
      time.advance(Duration.ofMinutes(2));
      w.source().expireLeases();
      assertThat(status(w, d)).isEqualTo(JobStatus.EXPIRED);
      assertThat(status(w, c)).isEqualTo(JobStatus.DONE);
      other.adopt(new TicketedJob(d.job(), "agent-1", d.lease().ref(), d.upstream()), Duration.ofMinutes(1));
      assertThatThrownBy(() -> other.heartbeat(heartbeat(d, time), Duration.ofMinutes(1)))
          .isInstanceOf(LeaseFencedException.class);
    }
  }

  private static final JobTicket ANY = new JobTicket("k", "AAAAAAAAAAAAAAAA", "eA==");

  private static Heartbeat heartbeat(Claim c, ManualScheduler time) {
    return new Heartbeat(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(), c.lease().ref(),
        JobState.RUNNING, Usage.none(), ANY);
  }

  private static JobStatus status(AlienWorkload w, Claim c) {
    return w.alien().queue().list().stream().filter(j -> j.queueId() == Long.parseLong(c.job().jobId()))
        .findFirst().orElseThrow().status();
  }
}
