package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code copilot agent} as its own process, booted from user-data, gets SIGTERM (systemd
 * stopping it as the VM shuts down) during a job that cannot end within {@code agent.stop-grace}: it hands
 * the job back, which is queued again rather than failed, and exits. (It runs the packaged jar, so this
 * runs after {@code package}.)
 */
class StopGraceIT {
  @TempDir Path dir;

  @Test
  void issue8_sigtermHandsBackAJobThatCannotEndInTheGraceTime() throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    Process agent = null;
    try (Services services = new Services("stop-grace-test", 4)) {
      AgentVm vm = AgentVm.start(dir, services, stack);
      String id = vm.queue().submit(NewJob.of("sleep", "120"));
      agent = vm.boot(AgentJvm.LAUNCHERS, Map.of("agent.stop-grace", "10s"));
      await().atMost(Duration.ofSeconds(60)).until(() -> vm.queue().get(id).orElseThrow().status() == JobStatus.LEASED);
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(vm.log()).contains("runs " + id));

      agent.destroy();

      assertThat(agent.waitFor(30, TimeUnit.SECONDS)).as("the agent exits within its grace").isTrue();
      QueuedJob job = vm.queue().get(id).orElseThrow();
      assertThat(job.status()).isEqualTo(JobStatus.QUEUED);
      assertThat(job.history()).anyMatch(line -> line.contains("released by vm-agent: SIGTERM"));
      assertThat(Files.readString(vm.log())).contains("STOPPED (SIGTERM)");
    } finally {
      if (agent != null && agent.isAlive()) {
        agent.destroyForcibly().waitFor();
      }
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }
}
