package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.ConfigOptions;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cernvm.copilot.agent.AgentProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code copilot agent}: one agent over XMPP, as the agent-only artifact runs it. */
@Command(name = "agent", description = "Runs an agent until it is drained (exit 0), finds no work for "
    + "agent.idle-shutdown (exit 3), outlives agent.lifetime (exit 4), gets a spot notice (exit 5) or is stopped "
    + "(SIGTERM: jobs that cannot end within agent.stop-grace are handed back).")
final class AgentCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    return AgentProcess.run(config.settings(Map.of()), System.out);
  }
}
