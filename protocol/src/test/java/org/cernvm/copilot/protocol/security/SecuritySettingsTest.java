package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code security.*} settings and the keyring kept on disk. */
class SecuritySettingsTest {
  @TempDir Path dir;

  @Test
  void issue6_settingsHaveDefaultsAndNeverShowTheToken() {
    SecuritySettings s = SecuritySettings.from(Settings.of(Map.of("security.ca", "/etc/copilot/ca.pem",
        "security.token", "t0ken-value")), "copilot.local");
    assertThat(s.keyManager()).isEqualTo(Address.of("keymanager@copilot.local"));
    assertThat(s.window()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.crlRefresh()).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.toString()).doesNotContain("t0ken-value").contains("<redacted>");
    assertThatThrownBy(() -> SecuritySettings.from(Settings.of(Map.of()), "copilot.local"))
        .hasMessageContaining("security.ca");
  }

  @Test
  void issue6_aKeyringOnDiskKeepsItsKeyPrivateAndRefusesOneOthersCanRead() throws Exception {
    TestPki pki = new TestPki(Clock.systemUTC());
    Credentials c = pki.issue("agent-1", Role.AGENT);
    Keyring.open(dir).install(c);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("key.pem"))))
        .isEqualTo("rw-------");
    Credentials back = Keyring.open(dir).current().orElseThrow();
    assertThat(back.certificate()).isEqualTo(c.certificate());
    assertThat(back.toString()).doesNotContain("PRIVATE");
    Files.setPosixFilePermissions(dir.resolve("key.pem"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> Keyring.open(dir)).isInstanceOf(ConfigException.class).hasMessageContaining("chmod 600");
  }
}
