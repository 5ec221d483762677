package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The short chaos run of the suite; {@code ./copilot chaos} runs the long one. */
class ChaosTest {
  @TempDir Path dir;

  @Test
  void issue7_jobsRunThroughKilledAgentsJobManagersStorageAndXmppServerWithNoneLostOrDuplicated() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    Chaos.Result result = new Chaos(new Chaos.Options(40, 1000, Duration.ofSeconds(30), 3, 2, Duration.ofMillis(1500),
        Duration.ofSeconds(120), 20261123L, dir, null), out, Clock.systemUTC()).run();
    System.out.print(log.toString(StandardCharsets.UTF_8));

    assertThat(result.faults().keySet()).containsExactlyInAnyOrder(Chaos.Fault.values());
    assertThat(result.lost()).isEmpty();
    assertThat(result.duplicated()).isEmpty();
    assertThat(result.finished() + result.failedWithTheirAgent() + result.failedInDispatch()).isEqualTo(40);
    assertThat(result.closingLine()).isEqualTo("chaos: 40 jobs, 0 lost, 0 duplicated");
  }
}
