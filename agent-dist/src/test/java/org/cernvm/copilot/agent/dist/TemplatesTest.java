package org.cernvm.copilot.agent.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.agent.UserData;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import org.junit.jupiter.api.Test;

/**
 * The shipped user-data templates are read by the agent as it reads user-data, hold only settings
 * the agent knows, and the systemd unit runs the launcher with a stop timeout above the agent's stop grace.
 */
class TemplatesTest {
  private static final Path DIST = Path.of("src", "dist");

  private static void readableByTheAgent(Map<String, String> values) {
    Settings s = Settings.of(Map.of()).withContext(values, "template");
    XmppSettings xmpp = XmppSettings.from(s, null, "agent");
    AgentConfig.from(s, xmpp.username(), xmpp.domain());
    SecuritySettings.from(s, xmpp.domain());
    s.rejectUnknownKeys();
  }

  @Test
  void issue8_theCloudConfigTemplateHoldsAgentSettings() throws Exception {
    Map<String, String> v = UserData.settings(Files.readString(DIST.resolve("user-data/cloud-config.yaml")), "template");
    assertThat(v).containsKeys("xmpp.host", "xmpp.user", "xmpp.password", "security.token", "security.ca",
        "agent.job-manager", "agent.lifetime", "agent.idle-shutdown").containsEntry("agent.experiments", "ATLAS,ALICE");
    readableByTheAgent(v);
  }

  @Test
  void issue8_theCernvmTemplateHoldsAgentSettings() throws Exception {
    Map<String, String> v = UserData.settings(Files.readString(DIST.resolve("user-data/cernvm.ini")), "template");
    assertThat(v).containsKeys("xmpp.host", "security.token", "agent.idle-shutdown").doesNotContainKey("organisations");
    readableByTheAgent(v);
  }

  @Test
  void issue8_theUnitRunsTheLauncherAndWaitsLongerThanTheStopGrace() throws Exception {
    String unit = Files.readString(DIST.resolve("copilot-agent.service"));
    assertThat(unit).contains("ExecStart=/opt/copilot-agent/copilot-agent").contains("SuccessExitStatus=3 4 5 143")
        .contains("TimeoutStopSec=90");
    assertThat(Files.isExecutable(DIST.resolve("copilot-agent"))).isTrue();
  }
}
