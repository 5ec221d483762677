package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code getJob}: an agent claims a job from the job manager that answered its {@link WantGetJob}.
 *
 * @param id message id
 * @param sentAt send time
 * @param agentId the agent
 * @param resources what the slot offers
 */
public record GetJob(String id, Instant sentAt, String agentId, Resources resources)
    implements AgentRequest {
  public GetJob {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(agentId, "agentId");
    Checks.present(resources, "resources");
  }
}
