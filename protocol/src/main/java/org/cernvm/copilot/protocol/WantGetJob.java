package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code want_getJob}: an agent offers a free slot to every job manager of the service.
 *
 * @param id message id
 * @param sentAt send time
 * @param agentId the agent
 * @param resources what the slot offers
 */
public record WantGetJob(String id, Instant sentAt, String agentId, Resources resources)
    implements AgentRequest {
  public WantGetJob {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(agentId, "agentId");
    Checks.present(resources, "resources");
  }
}
