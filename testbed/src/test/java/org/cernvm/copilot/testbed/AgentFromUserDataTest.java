package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.agent.Shutdown;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.testbed.cloud.FakeMetadataService;
import org.cernvm.copilot.testbed.xmpp.EmbeddedXmppServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8: {@code copilot agent} told nothing but where the metadata service is, as in a VM booted with
 * the agent's user-data: it reads its XMPP account, enrollment token and limits from there, enrolls, runs
 * the queued job, and stops with the no-work exit code once no more work comes.
 */
class AgentFromUserDataTest {
  @TempDir Path dir;

  @Test
  void issue8_anAgentBootedFromUserDataRunsTheQueuedJobAndStopsWhenNoMoreWorkComes() throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    try (Services services = new Services("user-data-test", 8)) {
      Pki pki = Pki.create(dir.resolve("ca"), services);
      EmbeddedXmppServer server = EmbeddedXmppServer.start(Demo.DOMAIN, pki.ca.issueServer(
          List.of(Demo.DOMAIN, "127.0.0.1"), Duration.ofDays(1)), pki.ca.certificate(), dir);
      stack.add(server);
      pki.serve(server, stack);
      GenericQueue queue = GenericQueue.open(dir.resolve("queue"), services.scheduler.clock(), 3);
      String id = queue.submit(NewJob.of("sh", "-c", "echo booted from user-data"));
      XmppBus jmBus = pki.join(server, "jobmanager", "jm-1", Role.JOB_MANAGER, stack);
      JobManager jm = new JobManager(JobManagerConfig.from(Settings.of(Map.of(
          "job-manager.ticket-key-file", dir.resolve("ticket.key").toString())), Demo.DOMAIN), jmBus, queue,
          services.scheduler);
      stack.add(jm);
      jm.start();

      String password = Pki.password();
      XmppSettings x = server.account("vm-agent", password, "vm");
      String userData = "#cloud-config\n"
          + "copilot:\n"
          + "  xmpp.host: " + x.host() + "\n"
          + "  xmpp.port: " + x.port() + "\n"
          + "  xmpp.domain: " + x.domain() + "\n"
          + "  xmpp.user: vm-agent\n"
          + "  xmpp.password: " + password + "\n"
          + "  xmpp.resource: vm\n"
          + (x.trustCertificate() == null ? "" : "  xmpp.trust: " + x.trustCertificate() + "\n")
          + (x.tlsProtocols().isEmpty() ? "" : "  xmpp.tls-protocols: " + String.join(",", x.tlsProtocols()) + "\n")
          + "  xmpp.register: " + x.register() + "\n"
          + "  security.ca: " + dir.resolve("ca").resolve("ca.pem") + "\n"
          + "  security.key-manager: " + pki.address(Demo.DOMAIN) + "\n"
          + "  security.token: " + pki.token(Role.AGENT) + "\n"
          + "  security.dir: " + dir.resolve("agent-keys") + "\n"
          + "  agent:\n"
          + "    cores: 1\n"
          + "    work-dir: " + dir.resolve("work") + "\n"
          + "    idle-shutdown: 2s\n"
          + "    idle-backoff-min: 100ms\n"
          + "    idle-backoff-max: 500ms\n";
      try (var md = FakeMetadataService.start(0).userData(userData).requireTokens()) {
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() ->
            Copilot.run("agent", "--set", "context.metadata-url=" + md.url()));

        assertThat(exit.get(90, TimeUnit.SECONDS)).isEqualTo(Shutdown.Reason.NO_WORK.exitCode());
        assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.DONE);
        assertThat(queue.get(id).orElseThrow().agentId()).isEqualTo("vm-agent");
        assertThat(md.userDataReads()).isEqualTo(1);
      }
    } finally {
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }
}
