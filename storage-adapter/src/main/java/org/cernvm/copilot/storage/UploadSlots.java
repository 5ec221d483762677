package org.cernvm.copilot.storage;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The uploads each agent has in progress, at most a fixed number per agent. An agent is known here only while
 * it has an upload in progress, so the table is as large as the uploads under way, whatever agents have come
 * and gone. Thread-safe.
 */
final class UploadSlots {
  private final int perAgent;
  private final ConcurrentHashMap<String, Integer> inProgress = new ConcurrentHashMap<>();

  UploadSlots(int perAgent) {
    if (perAgent < 1) {
      throw new IllegalArgumentException("at least one upload per agent: " + perAgent);
    }
    this.perAgent = perAgent;
  }

  /** How many uploads one agent may have in progress. */
  int perAgent() {
    return perAgent;
  }

  /** A slot for one more upload of {@code agentId}, or empty when it already has {@link #perAgent()}. */
  Optional<Slot> tryAcquire(String agentId) {
    boolean[] taken = {false};
    inProgress.compute(agentId, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= perAgent) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0] ? Optional.of(new Slot(agentId)) : Optional.empty();
  }

  /** How many uploads {@code agentId} has in progress. */
  int inProgress(String agentId) {
    return inProgress.getOrDefault(agentId, 0);
  }

  /** One upload's place among its agent's; closing it gives it back, and closing it again does nothing. */
  final class Slot implements AutoCloseable {
    private final String agentId;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(String agentId) {
      this.agentId = agentId;
    }

    @Override
    public void close() {
      if (released.compareAndSet(false, true)) {
        inProgress.computeIfPresent(agentId, (k, n) -> n <= 1 ? null : n - 1);
      }
    }
  }
}
