package org.cernvm.copilot.testbed.alien;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.alien.JobStatus;
import org.cernvm.copilot.alien.jdl.Jdl;
import org.cernvm.copilot.alien.jdl.JdlSyntaxException;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.Test;

/** The fake AliEn task queue's state machine on a fake clock. */
class TaskQueueTest {
  private final ManualScheduler time = new ManualScheduler();
  private final TaskQueue queue = new TaskQueue(time.clock(), Duration.ofMinutes(60), Duration.ofMinutes(60));
  private final TaskQueue.Offer offer =
      new TaskQueue.Offer("CERN", "ALICE::CERN::Copilot", 86_400, 1, 10_000_000, List.of("VO_ALICE@AliPhysics::v5"));

  static final String SIM = """
      Executable = "/bin/sim.sh";
      Arguments = "--run $1 --uid #alien_counter#";
      Packages = { "VO_ALICE@AliPhysics::v5" };
      Split = "production:1-3";
      OutputDir = "/alice/sim/$1/#alien_counter_03i#";
      TTL = 3600;
      Requirements = other.TTL > 3600 && member(other.Packages, "VO_ALICE@AliPhysics::v5");
      """;

  private TaskQueue.JobView view(long id) {
    return queue.list().stream().filter(j -> j.queueId() == id).findFirst().orElseThrow();
  }

  @Test
  void issue5_aSplitJobBecomesWaitingSubjobsWithTheirCounters() throws Exception {
    List<Long> ids = queue.submit(SIM, List.of("244377"), "aliprod");
    assertThat(ids).hasSize(3);
    assertThat(view(ids.get(0)).status()).isEqualTo(JobStatus.WAITING);
    assertThat(view(ids.get(0)).trace()).anyMatch(t -> t.endsWith("Job state transition from INSERTING to WAITING"));
    TaskQueue.Match m = queue.match(offer, "vm-1").orElseThrow();
    Jdl jdl = Jdl.parse(m.jdl());
    assertThat(jdl.arguments()).isEqualTo("--run 244377 --uid 1");
    assertThat(jdl.outputDir()).isEqualTo("/alice/sim/244377/001");
    assertThat(m.user()).isEqualTo("aliprod");
    assertThat(m.token()).hasSize(32);
    assertThatThrownBy(() -> queue.submit("Executable = \"x\"; Arguments = \"$2\";", List.of("a"), "u"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> queue.submit("Executable = ;", List.of(), "u")).isInstanceOf(JdlSyntaxException.class);
  }

  @Test
  void issue5_matchingHonoursTtlPackagesAndRequirementsAndAssignsEachJobOnce() throws Exception {
    queue.submit(SIM, List.of("1"), "aliprod");
    TaskQueue.Offer shortSlot = new TaskQueue.Offer("CERN", "ce", 3600, 1, 1, List.of("VO_ALICE@AliPhysics::v5"));
    assertThat(queue.match(shortSlot, "vm")).isEmpty();
    TaskQueue.Offer noPackage = new TaskQueue.Offer("CERN", "ce", 86_400, 1, 1, List.of());
    assertThat(queue.match(noPackage, "vm")).isEmpty();
    assertThat(List.of(queue.match(offer, "a"), queue.match(offer, "b"), queue.match(offer, "c")))
        .allMatch(o -> o.isPresent()).extracting(o -> o.orElseThrow().queueId()).doesNotHaveDuplicates();
    assertThat(queue.match(offer, "d")).isEmpty();
  }

  @Test
  void issue5_statesOnlyGoUpWithTheJobTokenAndAKilledJobAnswersKilled() throws Exception {
    long id = queue.submit(SIM, List.of("1"), "aliprod").get(0);
    TaskQueue.Match m = queue.match(offer, "vm").orElseThrow();
    assertThat(queue.setStatus(id, "forged", JobStatus.STARTED)).isEqualTo(TaskQueue.Answer.BAD_TOKEN);
    assertThat(queue.setStatus(id, m.token(), JobStatus.STARTED)).isEqualTo(TaskQueue.Answer.OK);
    assertThat(queue.setStatus(id, m.token(), JobStatus.RUNNING)).isEqualTo(TaskQueue.Answer.OK);
    assertThat(queue.setStatus(id, m.token(), JobStatus.STARTED)).isEqualTo(TaskQueue.Answer.REFUSED);
    assertThat(view(id).status()).isEqualTo(JobStatus.RUNNING);
    assertThat(queue.kill(id)).hasValue(JobStatus.KILLED);
    assertThat(queue.putJobLog(id, m.token(), "proc", "1 1 5.0 1.0 1 100 200 1 0 0 0 100 200 1000"))
        .isEqualTo(TaskQueue.Answer.KILLED);
    assertThat(queue.setStatus(id, m.token(), JobStatus.SAVING)).isEqualTo(TaskQueue.Answer.KILLED);
    assertThat(view(id).status()).isEqualTo(JobStatus.KILLED);
  }

  @Test
  void issue5_silentJobsBecomeZombiesThenExpireAndAZombieThatReportsRevives() throws Exception {
    List<Long> ids = queue.submit(SIM, List.of("1"), "aliprod");
    TaskQueue.Match a = queue.match(offer, "vm-a").orElseThrow();
    TaskQueue.Match b = queue.match(offer, "vm-b").orElseThrow();
    queue.setStatus(a.queueId(), a.token(), JobStatus.RUNNING);
    queue.setStatus(b.queueId(), b.token(), JobStatus.RUNNING);
    time.advance(Duration.ofMinutes(61));
    assertThat(view(ids.get(0)).status()).isEqualTo(JobStatus.ZOMBIE);
    assertThat(queue.putJobLog(b.queueId(), b.token(), "proc", "61 61 90.0 1.0 3600 100 200 1 0 0 0 100 200 1000"))
        .isEqualTo(TaskQueue.Answer.OK);
    assertThat(view(b.queueId()).status()).isEqualTo(JobStatus.RUNNING);
    time.advance(Duration.ofMinutes(61));
    assertThat(view(a.queueId()).status()).isEqualTo(JobStatus.EXPIRED);
    assertThat(view(a.queueId()).trace()).anyMatch(t -> t.endsWith("from ZOMBIE to EXPIRED"));
    assertThat(queue.setStatus(a.queueId(), a.token(), JobStatus.DONE)).isEqualTo(TaskQueue.Answer.BAD_TOKEN);
  }
}
