package org.cernvm.copilot.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.cernvm.copilot.protocol.config.ConfigException;
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

  @Test
  void issue8_wholeNodeModeIsOneSlotOfEveryCoreAndItsMemory() {
    AgentConfig config = AgentConfig.from(Settings.of(Map.of("agent.cores", "8", "agent.memory-mb", "16000",
        "agent.whole-node", "true", "agent.work-dir", dir.toString())), "agent-1", "test");
    assertThat(config.slots()).isEqualTo(1);
    assertThat(config.slotResources(Duration.ofHours(1)).cores()).isEqualTo(8);
    assertThat(config.slotResources(Duration.ofHours(1)).memoryMb()).isEqualTo(16000);

    AgentConfig perCore = AgentConfig.from(Settings.of(Map.of("agent.cores", "8", "agent.memory-mb", "16000",
        "agent.work-dir", dir.toString())), "agent-1", "test");
    assertThat(perCore.slots()).isEqualTo(8);
    assertThat(perCore.slotResources(Duration.ofHours(1)).cores()).isEqualTo(1);

    assertThatThrownBy(() -> AgentConfig.from(Settings.of(Map.of("agent.cores", "8", "agent.slots", "2",
        "agent.whole-node", "true")), "agent-1", "test")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("leave agent.slots out");
  }
}
