package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.alien.JobStatus;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.testbed.AlienWorkload;
import org.cernvm.copilot.testbed.alien.TaskQueue;
import org.junit.jupiter.api.Test;

/**
 * End to end against a real XMPP server (each subclass's own): 18 production subjobs with an archive output, one job whose
 * validation fails and one that AliEn kills while it runs, through the AliEn adapter, the agents and the
 * storage adapter, with the outputs registered in the fake catalogue.
 */
abstract class AlienOverXmpp extends OverXmpp {
  /** The tests on {@code xmpp}. */
  AlienOverXmpp(XmppServer xmpp) {
    super(xmpp);
  }

  @Test
  void issue5_twentyAlienJobsIncludingAnArchiveAValidationFailureAndAKill() throws Exception {
    AlienWorkload workload = new AlienWorkload(dir, 18, scheduler.clock());
    closeables.add(workload);
    StringBuilder fifty = new StringBuilder();
    for (int i = 1; i <= 50; i++) {
      fifty.append(i).append('\n');
    }
    workload.register("/alice/data/2026/LHC26a/000512345/short.txt", fifty.toString());
    long invalid = workload.alien().queue().submit(AlienWorkload.productionJdl(1, 0),
        List.of("/alice/data/2026/LHC26a/000512345/short.txt"), "copilot").get(0);
    long doomed = workload.alien().queue().submit(AlienWorkload.productionJdl(1, 60),
        List.of(AlienWorkload.DATA_LFN), "copilot").get(0);

    StorageAdapter storage = startStorage();
    startJobManager(workload.source(), "6s");
    List<Agent> agents = startAgents(3);

    // Kill it once it runs and has sent a proc line.
    await().atMost(Duration.ofMinutes(2)).until(() -> workload.alien().queue().list().stream()
        .anyMatch(j -> j.queueId() == doomed && j.status() == JobStatus.RUNNING && j.procLines() > 0));
    workload.alien().queue().kill(doomed);
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
        .until(() -> workload.progress().allEnded());
    // The kill reaches the payload through the next heartbeat, long before its 60 s sleep would end.
    await().atMost(Duration.ofSeconds(30)).until(() -> agents.stream().allMatch(a -> a.runningJobs().isEmpty()));

    assertThat(status(workload, invalid)).isEqualTo(JobStatus.ERROR_V);
    assertThat(status(workload, doomed)).isEqualTo(JobStatus.KILLED);
    List<TaskQueue.JobView> production = workload.alien().queue().list().stream()
        .filter(j -> j.queueId() != invalid && j.queueId() != doomed).toList();
    assertThat(production).hasSize(18);
    for (TaskQueue.JobView job : production) {
      assertThat(workload.problem(job)).as("job " + job.queueId()).isNull();
      assertThat(job.trace()).anyMatch(t -> t.endsWith("from SAVING to DONE"));
    }
    // Two outputs of each production job, and every job's log tarball.
    assertThat(storage.stats().verified()).isEqualTo(56);
    assertThat(storage.stats().rejected()).isZero();
    TaskQueue.JobView killed = workload.alien().queue().list().stream().filter(j -> j.queueId() == doomed).findFirst()
        .orElseThrow();
    assertThat(killed.procLines()).isPositive();
    assertThat(killed.trace()).anyMatch(t -> t.endsWith("to KILLED"));
  }

  private static JobStatus status(AlienWorkload w, long id) {
    return w.alien().queue().list().stream().filter(j -> j.queueId() == id).findFirst().orElseThrow().status();
  }
}
