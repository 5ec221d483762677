package org.cernvm.copilot.protocol.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @Test
  void commandLineBeatsEnvironmentBeatsFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("c.properties"), "xmpp.port=1\nxmpp.host=file-host\nagent.cores=2\n");
    Settings s = Settings.layered(file, Map.of("COPILOT_XMPP_PORT", "2", "COPILOT_AGENT_CORES", "3"),
        Map.of("xmpp.port", "3"));
    assertThat(s.integer("xmpp.port", 0, 1)).isEqualTo(3);
    assertThat(s.integer("agent.cores", 0, 1)).isEqualTo(3);
    assertThat(s.string("xmpp.host", "x")).isEqualTo("file-host");
    assertThat(s.string("xmpp.domain", "copilot.local")).isEqualTo("copilot.local");
  }

  @Test
  void environmentNamesAreDerivedFromKeys() {
    assertThat(Settings.envName("agent.memory-mb")).isEqualTo("COPILOT_AGENT_MEMORY_MB");
  }

  @Test
  void durationsAcceptShortAndIsoForms() {
    assertThat(Settings.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Settings.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Settings.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Settings.parseDuration("PT5M")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Settings.parseDuration("soon")).isNull();
  }

  @Test
  void badValuesNameTheKeyAndTheirSource() {
    Settings s = Settings.layered(null, Map.of("COPILOT_AGENT_CORES", "many"), Map.of("agent.lease", "-1s"));
    assertThatThrownBy(() -> s.integer("agent.cores", 1, 1))
        .isInstanceOf(ConfigException.class).hasMessageContaining("agent.cores").hasMessageContaining("COPILOT_AGENT_CORES");
    assertThatThrownBy(() -> s.duration("agent.lease", Duration.ofSeconds(1)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("agent.lease");
    assertThatThrownBy(() -> s.required("xmpp.password")).hasMessageContaining("COPILOT_XMPP_PASSWORD");
  }

  @Test
  void unknownKeysAreRejected() {
    Settings s = Settings.of(Map.of("xmpp.prot", "5222"));
    s.string("xmpp.port", null);
    assertThatThrownBy(s::rejectUnknownKeys).hasMessageContaining("xmpp.prot");
  }

  @Test
  void xmppSettingsNeverShowThePassword() {
    XmppSettings x = XmppSettings.from(Settings.of(Map.of("xmpp.password", "s3cret", "xmpp.tls-protocols", "TLSv1.2")),
        "agent-1", "vm");
    assertThat(x.toString()).doesNotContain("s3cret");
    assertThat(x.tlsProtocols()).isEqualTo(List.of("TLSv1.2"));
    assertThat(x.security()).isEqualTo(XmppSettings.Security.REQUIRED);
  }

  @Test
  void issue6_xmppRequiresTlsAndTrustsTheKeyManagersCaByDefault() {
    XmppSettings x = XmppSettings.from(Settings.of(Map.of("xmpp.password", "p", "security.ca", "/etc/copilot/ca.pem")),
        "agent-1", "vm");
    assertThat(x.security()).isEqualTo(XmppSettings.Security.REQUIRED);
    assertThat(x.trustCertificate()).isEqualTo(java.nio.file.Path.of("/etc/copilot/ca.pem"));
  }
}
