package org.cernvm.copilot.agent.dist;

import org.cernvm.copilot.agent.AgentMain;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The agent-only artifact's entry point: {@link AgentMain} with Smack's logging sent to Logback too, and
 * without the parts of Smack that the agent does not use.
 */
public final class Main {
  private Main() {}

  /** Runs the agent; see {@link AgentMain}. */
  public static void main(String[] args) {
    // Smack logs through java.util.logging; send it to the same place as everything else.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    XmppBus.withoutUnusedSmackParts();
    AgentMain.main(args);
  }
}
