package org.cernvm.copilot.alien;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JobStatusTest {
  @Test
  void issue5_statesOnlyMoveUpExceptAZombieThatRevives() {
    assertThat(JobStatus.WAITING.canMoveTo(JobStatus.ASSIGNED)).isTrue();
    assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.SAVING)).isTrue();
    assertThat(JobStatus.SAVING.canMoveTo(JobStatus.RUNNING)).isFalse();
    assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.RUNNING)).isFalse();
    assertThat(JobStatus.DONE.canMoveTo(JobStatus.ERROR_E)).isTrue();
    assertThat(JobStatus.KILLED.canMoveTo(JobStatus.DONE)).isFalse();
    assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.ZOMBIE)).isTrue();
    assertThat(JobStatus.ZOMBIE.canMoveTo(JobStatus.RUNNING)).isTrue();
    assertThat(JobStatus.ZOMBIE.canMoveTo(JobStatus.EXPIRED)).isTrue();
    assertThat(JobStatus.ZOMBIE.isFinal()).isFalse();
    assertThat(JobStatus.DONE_WARN.isFinal()).isTrue();
    assertThat(JobStatus.ERROR_V.isError()).isTrue();
  }
}
