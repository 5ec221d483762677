package org.cernvm.copilot.agent;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cernvm.copilot.protocol.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The agent-only artifact's command line refuses what it does not understand, saying what. */
class AgentMainTest {
  @Test
  void issue8_badArgumentsAreRefusedWithWhatWasWrong() {
    assertThatThrownBy(() -> AgentMain.run(new String[] {"--bogus"})).isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown argument '--bogus'");
    assertThatThrownBy(() -> AgentMain.run(new String[] {"--set", "novalue"})).isInstanceOf(ConfigException.class)
        .hasMessageContaining("KEY=VALUE");
    assertThatThrownBy(() -> AgentMain.run(new String[] {"--config"})).isInstanceOf(ConfigException.class)
        .hasMessageContaining("needs a value");
    assertThatThrownBy(() -> AgentMain.run(new String[] {"--set", "xmpp.host=h"})).isInstanceOf(ConfigException.class)
        .hasMessageContaining("xmpp.user is required").hasMessageContaining("--set xmpp.user=");
  }
}
