package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;
import org.junit.jupiter.api.Test;

class StorageConfigTest {
  private static StorageConfig config(Map<String, String> values) {
    return StorageConfig.from(Settings.of(values), "test");
  }

  @Test
  void theUploadLimitsHaveDefaults() {
    StorageConfig c = config(Map.of());
    assertThat(c.minDataRate()).isEqualTo(8192);
    assertThat(c.minDataRateGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.maxUploadsPerAgent()).isEqualTo(8);
  }

  @Test
  void theUploadLimitsAreReadAndChecked() {
    StorageConfig c = config(Map.of("storage.min-data-rate", "0", "storage.min-data-rate-grace", "30s",
        "storage.max-uploads-per-agent", "2"));
    assertThat(c.minDataRate()).isZero();
    assertThat(c.minDataRateGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.maxUploadsPerAgent()).isEqualTo(2);

    assertThatThrownBy(() -> config(Map.of("storage.min-data-rate", "-1"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.min-data-rate");
    assertThatThrownBy(() -> config(Map.of("storage.min-data-rate-grace", "0s"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.min-data-rate-grace");
    assertThatThrownBy(() -> config(Map.of("storage.max-uploads-per-agent", "0"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.max-uploads-per-agent");
  }
}
