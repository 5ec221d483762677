package org.cernvm.copilot.agent.dist;

import org.cernvm.copilot.agent.AgentMain;
import org.jivesoftware.smack.SmackConfiguration;
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
    // The agent uses no provider or manager of smack-extensions but in-band registration, whose provider
    // XmppBus adds itself; not loading the other ~290 classes saves about 3 MB (README, "Footprint").
    // It connects to an address it resolves itself, so it needs no DNS SRV resolver (and JNDI) either.
    SmackConfiguration.addDisabledSmackClass("org.jivesoftware.smack.extensions.ExtensionsInitializer");
    SmackConfiguration.addDisabledSmackClass("org.jivesoftware.smack.util.dns.javax.JavaxResolver");
    AgentMain.main(args);
  }
}
