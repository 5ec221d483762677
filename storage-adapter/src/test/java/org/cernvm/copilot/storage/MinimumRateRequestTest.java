package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MinimumRateRequestTest {
  private static final Duration GRACE = Duration.ofSeconds(1);

  @Test
  void noBodyIsBehindDuringTheGracePeriod() {
    assertThat(MinimumRateRequest.behind(0, 1000, GRACE, Duration.ofMillis(999))).isFalse();
    assertThat(MinimumRateRequest.behind(0, 1000, GRACE, GRACE)).isFalse();
  }

  @Test
  void afterTheGraceTheBodyMustHaveBroughtTheRateTimesTheTimeSinceIt() {
    assertThat(MinimumRateRequest.behind(1999, 1000, GRACE, Duration.ofSeconds(3))).isTrue();
    assertThat(MinimumRateRequest.behind(2000, 1000, GRACE, Duration.ofSeconds(3))).isFalse();
    assertThat(MinimumRateRequest.behind(1000, 1000, GRACE, Duration.ofMillis(1500))).isFalse();
    assertThat(MinimumRateRequest.behind(1000, 1000, GRACE, Duration.ofMillis(2500))).isTrue();
  }

  @Test
  void aRateOfZeroIsNoMinimum() {
    assertThat(MinimumRateRequest.behind(0, 0, GRACE, Duration.ofDays(1))).isFalse();
  }
}
