package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.agent.Shutdown;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.testkit.cloud.FakeMetadataService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code copilot agent} told nothing but where the metadata service is, as in a VM booted with
 * the agent's user-data: it reads its XMPP account, enrollment token and limits from there, enrolls, runs
 * the queued job, and stops with the no-work exit code once no more work comes.
 */
class AgentFromUserDataTest {
  @TempDir Path dir;

  @Test
  void issue8_anAgentBootedFromUserDataRunsTheQueuedJobAndStopsWhenNoMoreWorkComes() throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    try (Services services = new Services("user-data-test", 8)) {
      AgentVm vm = AgentVm.start(dir, services, stack);
      String id = vm.queue().submit(NewJob.of("sh", "-c", "echo booted from user-data"));
      String userData = vm.userData(Map.of("agent.idle-shutdown", "2s", "agent.idle-backoff-min", "100ms",
          "agent.idle-backoff-max", "500ms"));
      try (var md = FakeMetadataService.start(0).userData(userData).requireTokens()) {
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() ->
            Copilot.run("agent", "--set", "context.metadata-url=" + md.url()));

        assertThat(exit.get(90, TimeUnit.SECONDS)).isEqualTo(Shutdown.Reason.NO_WORK.exitCode());
        assertThat(vm.queue().get(id).orElseThrow().status()).isEqualTo(JobStatus.DONE);
        assertThat(vm.queue().get(id).orElseThrow().agentId()).isEqualTo("vm-agent");
        assertThat(md.userDataReads()).isEqualTo(1);
      }
    } finally {
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }
}
