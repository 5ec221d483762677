package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code drain}: an agent takes no more work, lets its running jobs finish, then stops.
 *
 * @param id message id
 * @param sentAt send time
 * @param agentId the agent to drain
 * @param reason why, for the logs
 */
public record Drain(String id, Instant sentAt, String agentId, String reason) implements Command {
  public Drain {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(agentId, "agentId");
    Checks.present(reason, "reason");
  }
}
