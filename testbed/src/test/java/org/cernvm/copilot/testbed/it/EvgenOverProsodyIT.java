package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.cernvm.copilot.testbed.EvgenWorkload;
import org.junit.jupiter.api.Test;

/**
 * Issue 4 end to end against a real Prosody: evgen jobs submitted to the fake PanDA server, taken by the
 * PanDA adapter in a job manager, run by agents as the stand-in Generate_tf.py, their EVNT files stored and
 * verified by the storage adapter and reported finished to PanDA; each file is re-read and checked.
 */
class EvgenOverProsodyIT extends OverProsody {
  @Test
  void issue4_twentyEvgenJobsFinishInPandaWithTheirEventsStoredAndVerified() throws Exception {
    EvgenWorkload workload = new EvgenWorkload(dir, 20, 300, scheduler.clock());
    closeables.add(workload);

    StorageConfig sc = StorageConfig.from(Settings.of(Map.of("storage.service", address("storage"),
        "storage.job-managers", address("jobmanager"), "storage.port", "0", "storage.root", dir.resolve("se").toString(),
        "storage.grant-key-file", dir.resolve("grant.key").toString())), Prosody.DOMAIN);
    StorageBackend backend = StorageBackend.from(sc);
    closeables.add(backend);
    StorageAdapter storage = StorageAdapter.start(sc, connect("storage", "sa-1"), backend, scheduler.clock());
    closeables.add(storage);

    JobManagerConfig jc = JobManagerConfig.from(Settings.of(Map.of("job-manager.service", address("jobmanager"),
        "job-manager.storage", address("storage"), "job-manager.lease", "20s")), Prosody.DOMAIN);
    JobManager jm = new JobManager(jc, connect("jobmanager", "jm-1"), workload.source(), scheduler);
    jm.start();
    closeables.add(jm);

    for (int a = 1; a <= 3; a++) {
      XmppBus bus = connect("agent-" + a, "vm");
      Agent agent = new Agent(AgentConfig.from(Settings.of(Map.of("agent.job-manager", address("jobmanager"),
          "agent.storage", address("storage"), "agent.cores", "1", "agent.work-dir", dir.resolve("work").toString(),
          "agent.idle-backoff-min", "100ms", "agent.idle-backoff-max", "500ms")), bus.self().local(),
          Prosody.DOMAIN), bus, scheduler, workers);
      agent.start();
      closeables.add(agent);
    }

    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
        .until(() -> workload.progress().allEnded());
    ByteArrayOutputStream problems = new ByteArrayOutputStream();
    int passed = workload.verify(new PrintStream(problems, true, StandardCharsets.UTF_8));
    assertThat(passed).as(problems.toString(StandardCharsets.UTF_8)).isEqualTo(20);
    assertThat(workload.closingLine(passed, 20 - passed)).isEqualTo("evgen: 20 finished, 0 failed");
    assertThat(storage.stats().verified()).isEqualTo(20);
    assertThat(storage.stats().rejected()).isZero();
  }
}
