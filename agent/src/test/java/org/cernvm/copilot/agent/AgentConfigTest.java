package org.cernvm.copilot.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.cernvm.copilot.protocol.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @TempDir Path dir;

  @Test
  void issue4_theDefaultDiskIsMeasuredEvenWhenTheWorkDirDoesNotExistYet() {
    AgentConfig config = AgentConfig.from(Settings.of(Map.of("agent.work-dir", dir.resolve("not/yet").toString())),
        "agent-1", "test");
    assertThat(config.diskMb()).isGreaterThan(0);
    assertThat(config.storage()).isEqualTo("storage@test");
  }
}
