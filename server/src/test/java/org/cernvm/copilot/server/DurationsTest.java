package org.cernvm.copilot.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The command line's duration options: written as in the configuration, refused with a clear error. */
class DurationsTest {
  @Test
  void durationsAreReadAsInTheConfiguration() {
    Durations.Any any = new Durations.Any();
    assertThat(any.convert("20ms")).isEqualTo(Duration.ofMillis(20));
    assertThat(any.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(any.convert("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThat(any.convert("0ms")).isZero();
    assertThat(new Durations.Positive().convert("2d")).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void aWrongDurationIsRefusedWithWhatWasGiven() {
    assertThatThrownBy(() -> new Durations.Any().convert("soon")).isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("must be a duration like").hasMessageContaining("'soon'");
    assertThatThrownBy(() -> new Durations.Any().convert("-PT1H")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> new Durations.Positive().convert("0s")).isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("longer than zero");
  }

  @Test
  void aCommandGivenAWrongDurationExitsWith2() {
    assertThat(CopilotServer.commandLine(new CopilotServer()).execute("key-manager", "token", "--role", "agent",
        "--ttl", "0s")).isEqualTo(2);
    assertThat(CopilotServer.commandLine(new CopilotServer()).execute("key-manager", "token", "--role", "agent",
        "--ttl", "soon")).isEqualTo(2);
  }
}
