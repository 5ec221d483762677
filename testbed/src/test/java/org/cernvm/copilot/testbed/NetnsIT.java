package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.agent.Shutdown;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.testkit.cloud.FakeMetadataService;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network namespace acts as the VM, with its own address. The agent-only artifact boots inside
 * it from user-data at the metadata service's own address (169.254.169.254, a fake, with IMDSv2 tokens),
 * reaches the XMPP server over the namespace's link, and runs a job; a spot notice during the job ends with
 * the job handed back, queued again, and completed by another agent. Needs root (ip netns); it runs the
 * packaged jar, so it runs after {@code package}.
 */
class NetnsIT {
  private static final String METADATA_IP = "169.254.169.254";
  @TempDir Path dir;

  /** The last 60 lines of {@code log}, for a failure's message. */
  private static String tail(Path log) throws java.io.IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of("(no log at " + log + ")");
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  @Test
  void issue8_anAgentBootedInANamespaceFromUserDataHandsItsJobBackOnASpotNotice() throws Exception {
    int n = ThreadLocalRandom.current().nextInt(1, 250);
    String ns = "cpvm" + n;
    String host = "10.213." + n + ".1";
    Assumptions.assumeTrue(canMakeNamespace(ns), "needs root and ip netns (iproute2)");
    List<AutoCloseable> stack = new ArrayList<>();
    Process agent = null;
    try (Services services = new Services("netns-test", 8)) {
      check(run("ip", "link", "add", "cph" + n, "type", "veth", "peer", "name", "cpv" + n));
      check(run("ip", "link", "set", "cpv" + n, "netns", ns));
      check(run("ip", "addr", "add", host + "/30", "dev", "cph" + n));
      check(run("ip", "addr", "add", METADATA_IP + "/32", "dev", "cph" + n));
      check(run("ip", "link", "set", "cph" + n, "up"));
      check(run("ip", "netns", "exec", ns, "ip", "addr", "add", "10.213." + n + ".2/30", "dev", "cpv" + n));
      check(run("ip", "netns", "exec", ns, "ip", "link", "set", "cpv" + n, "up"));
      check(run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
      check(run("ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", host));

      AgentVm vm = AgentVm.start(dir, services, stack);
      String id = vm.queue().submit(NewJob.of("sh", "-c", "if [ \"$COPILOT_AGENT_ID\" = vm-agent ]; then sleep 120; fi"));
      FakeMetadataService md = FakeMetadataService.start(0).requireTokens();
      stack.add(md);
      stack.add(TcpForward.start(new InetSocketAddress(InetAddress.getByName(host), vm.xmppPort()),
          new InetSocketAddress(InetAddress.getLoopbackAddress(), vm.xmppPort())));
      stack.add(TcpForward.start(new InetSocketAddress(InetAddress.getByName(METADATA_IP), 80),
          new InetSocketAddress(InetAddress.getLoopbackAddress(), md.url().getPort())));
      md.userData(vm.userData(Map.of("xmpp.host", host, "agent.spot-poll", "500ms")));

      ProcessBuilder pb = vm.agentProcess(List.of("--set", "context.metadata-url=http://" + METADATA_IP + "/latest"));
      pb.command().addAll(0, List.of("ip", "netns", "exec", ns));
      agent = pb.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> leasedTo(vm, id, "vm-agent"));

      md.spotNotice("terminate", Instant.now().plus(Duration.ofMinutes(2)));

      // Generous: on a machine busy with other builds the tuned agent JVM (one compiler thread) is slow to react.
      boolean exited = agent.waitFor(120, TimeUnit.SECONDS);
      assertThat(exited).as("the agent exits after the notice; its log ends:%n%s", tail(vm.log())).isTrue();
      assertThat(agent.exitValue()).isEqualTo(Shutdown.Reason.PREEMPTED.exitCode());
      QueuedJob back = vm.queue().get(id).orElseThrow();
      assertThat(back.status()).isEqualTo(JobStatus.QUEUED);
      assertThat(back.history()).anyMatch(line -> line.contains("released by vm-agent: spot instance-action"));
      assertThat(Files.readString(vm.log())).contains("read ").contains("from user-data http://" + METADATA_IP);

      Map<String, String> settings = new HashMap<>(Map.of("agent.cores", "1",
          "agent.work-dir", dir.resolve("work-2").toString(), "agent.idle-backoff-min", "100ms"));
      Agent elsewhere = new Agent(AgentConfig.from(Settings.of(settings), "agent-2", Demo.DOMAIN),
          vm.join("agent-2", Role.AGENT, stack), services.scheduler, services.workers);
      elsewhere.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> vm.queue().get(id).orElseThrow().status() == JobStatus.DONE);
      assertThat(vm.queue().get(id).orElseThrow().agentId()).isEqualTo("agent-2");
      assertThat(vm.queue().get(id).orElseThrow().epoch()).isEqualTo(2);
      elsewhere.close();
    } finally {
      if (agent != null && agent.isAlive()) {
        agent.destroyForcibly().waitFor();
      }
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
      run("ip", "netns", "del", ns);
      run("ip", "link", "del", "cph" + n);
    }
  }

  private static boolean leasedTo(AgentVm vm, String id, String agent) throws Exception {
    QueuedJob j = vm.queue().get(id).orElseThrow();
    return j.status() == JobStatus.LEASED && agent.equals(j.agentId());
  }

  private static boolean canMakeNamespace(String ns) throws InterruptedException {
    try {
      return run("ip", "netns", "add", ns) == 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
        .waitFor();
  }

  private static void check(int exitCode) {
    assertThat(exitCode).as("an ip command for the namespace").isZero();
  }
}
