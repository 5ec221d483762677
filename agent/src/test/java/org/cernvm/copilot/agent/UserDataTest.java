package org.cernvm.copilot.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The agent's settings in cloud-init, CernVM-style and plain user-data. */
class UserDataTest {
  @Test
  void issue8_aCloudConfigDocumentGivesItsCopilotMappingFlattened() {
    String text = """
        #cloud-config
        packages: [java-17-openjdk-headless]
        write_files:
          - path: /etc/motd
            content: hello
        copilot:
          xmpp:
            host: xmpp.example.org
            port: 5222
          agent.job-manager: jobmanager@example.org
          agent.slots: 4
          agent.experiments: [ATLAS, ALICE]
          security.token: "t0k3n"
        runcmd:
          - systemctl start copilot-agent
        """;

    assertThat(UserData.settings(text, "test")).containsExactly(
        Map.entry("xmpp.host", "xmpp.example.org"),
        Map.entry("xmpp.port", "5222"),
        Map.entry("agent.job-manager", "jobmanager@example.org"),
        Map.entry("agent.slots", "4"),
        Map.entry("agent.experiments", "ATLAS,ALICE"),
        Map.entry("security.token", "t0k3n"));
  }

  @Test
  void issue8_aCernvmStyleDocumentGivesItsCopilotSection() {
    String text = "[amiconfig]\nplugins=cernvm\n\n[cernvm]\norganisations=atlas\n\n[copilot]\r\n"
        + "; comment\nxmpp.host = xmpp.example.org\nagent.lifetime=48h\n\n[ucernvm-begin]\ncvmfs_branch=cernvm-prod\n";

    assertThat(UserData.settings(text, "test")).containsExactly(
        Map.entry("xmpp.host", "xmpp.example.org"), Map.entry("agent.lifetime", "48h"));
  }

  @Test
  void issue8_plainLinesAreSettingsToo() {
    assertThat(UserData.settings("# CoPilot agent\nxmpp.host=h\nagent.slots=2\n", "test"))
        .containsExactly(Map.entry("xmpp.host", "h"), Map.entry("agent.slots", "2"));
  }

  @Test
  void issue8_userDataWithoutCopilotSettingsIsRefusedSayingWhereAndWhy() {
    assertThatThrownBy(() -> UserData.settings("#cloud-config\npackages: [vim]\n", "user-data http://md/user-data"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("http://md/user-data")
        .hasMessageContaining("no copilot: mapping");
    assertThatThrownBy(() -> UserData.settings("#cloud-config\ncopilot: [a\n", "f"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML at line");
    assertThatThrownBy(() -> UserData.settings("[cernvm]\na=b\n", "f"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("no [copilot] section");
    assertThatThrownBy(() -> UserData.settings("[copilot]\nxmpp.host=h\nsecret-without-equals\n", "f"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("no key=value at line 3")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> UserData.settings("#!/bin/sh\necho hi\n", "f"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("script");
  }
}
