package org.cernvm.copilot.testbed;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code copilot agent}: one agent over XMPP, until drained or stopped. */
@Command(name = "agent", description = "Runs an agent until it is drained (exit 0) or stopped (SIGTERM).")
final class AgentCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    Settings s = config.settings(Map.of());
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
      Thread hook = new Thread(() -> {
        agent.close();
        bus.close();
        stopped.complete("stopped");
      }, "agent-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      String why = CompletableFuture.anyOf(agent.drained(), stopped).thenApply(String::valueOf).get();
      if (agent.drained().isDone()) {
        Runtime.getRuntime().removeShutdownHook(hook);
        bus.close();
        System.out.println("agent " + cfg.agentId() + " drained after " + agent.jobsRun() + " job(s): " + why);
      }
    }
    return 0;
  }
}
