package org.cernvm.copilot.testbed;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.agent.Contextualization;
import org.cernvm.copilot.agent.Shutdown;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code copilot agent}: one agent over XMPP, until drained or stopped. */
@Command(name = "agent", description = "Runs an agent until it is drained (exit 0), finds no work for "
    + "agent.idle-shutdown (exit 3), outlives agent.lifetime (exit 4), gets a spot notice (exit 5) or is stopped "
    + "(SIGTERM: jobs that cannot end within agent.stop-grace are handed back).")
final class AgentCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    Settings s = Contextualization.apply(config.settings(Map.of()), HttpClient.newHttpClient(), Clock.systemUTC());
    XmppSettings xmpp = XmppSettings.from(s, null, "agent");
    AgentConfig cfg = AgentConfig.from(s, xmpp.username(), xmpp.domain());
    SecuritySettings security = SecuritySettings.from(s, xmpp.domain());
    s.rejectUnknownKeys();
    try (Services services = new Services("agent", 4);
        EnrolledBus enrolled = EnrolledBus.connect(xmpp, security, services.scheduler, services.workers,
            xmpp.replyTimeout().multipliedBy(3))) {
      XmppBus bus = enrolled.bus();
      Agent agent = new Agent(cfg, bus, services.scheduler, services.workers);
      agent.start();
      CompletableFuture<String> stopped = new CompletableFuture<>();
      // SIGTERM (systemd stopping the VM's service, an ACPI shutdown): jobs that cannot end within
      // agent.stop-grace are handed back at once so that they run again elsewhere; the others may finish.
      Thread hook = new Thread(() -> {
        agent.preempt(new Shutdown(Shutdown.Reason.STOPPED, "SIGTERM"), Instant.now().plus(cfg.stopGrace()));
        try {
          agent.drained().get(cfg.stopGrace().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
          System.err.println("agent " + cfg.agentId() + ": jobs still running after " + cfg.stopGrace()
              + "; killing them");
        }
        agent.close();
        bus.close();
        stopped.complete("stopped");
      }, "agent-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      CompletableFuture.anyOf(agent.drained(), stopped).join();
      if (agent.drained().isDone()) {
        Runtime.getRuntime().removeShutdownHook(hook);
        bus.close();
        Shutdown why = agent.drained().join();
        System.out.println("agent " + cfg.agentId() + " stopped after " + agent.jobsRun() + " job(s): " + why
            + "; exit code " + why.reason().exitCode());
        return why.reason().exitCode();
      }
    }
    return 0;
  }
}
