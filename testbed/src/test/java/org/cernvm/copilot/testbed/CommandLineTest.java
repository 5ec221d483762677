package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The testbed's command line reads durations as the server's does and refuses a wrong one with status 2. */
class CommandLineTest {
  @Test
  void aCommandGivenAWrongDurationExitsWith2() {
    assertThat(Copilot.run("demo", "--timeout", "soon")).isEqualTo(2);
    assertThat(Copilot.run("submit", "--ttl", "0s", "--", "true")).isEqualTo(2);
    assertThat(Copilot.run("chaos", "--interval", "-3s")).isEqualTo(2);
  }
}
