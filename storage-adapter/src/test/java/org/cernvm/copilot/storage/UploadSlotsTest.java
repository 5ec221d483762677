package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class UploadSlotsTest {
  @Test
  void eachAgentHasItsOwnBound() {
    UploadSlots slots = new UploadSlots(2);
    assertThat(slots.tryAcquire("agent-1")).isPresent();
    assertThat(slots.tryAcquire("agent-1")).isPresent();
    assertThat(slots.tryAcquire("agent-1")).isEmpty();
    assertThat(slots.tryAcquire("agent-2")).isPresent();
    assertThat(slots.inProgress("agent-1")).isEqualTo(2);
  }

  @Test
  void aSlotIsGivenBackOnceAndAnIdleAgentIsForgotten() {
    UploadSlots slots = new UploadSlots(1);
    UploadSlots.Slot slot = slots.tryAcquire("agent-1").orElseThrow();
    slot.close();
    Optional<UploadSlots.Slot> again = slots.tryAcquire("agent-1");
    assertThat(again).isPresent();
    // Closing the first slot again must not free the second one's place.
    slot.close();
    assertThat(slots.tryAcquire("agent-1")).isEmpty();
    again.orElseThrow().close();
    assertThat(slots.inProgress("agent-1")).isZero();
  }
}
