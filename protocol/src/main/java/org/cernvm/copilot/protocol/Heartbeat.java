package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code heartbeat}: an agent reports progress on a leased job and so extends the lease. The
 * {@link Ack} that answers may carry {@link Command}s.
 *
 * @param id message id
 * @param sentAt send time
 * @param agentId the agent
 * @param jobId the job
 * @param lease the lease held
 * @param state what the agent is doing
 * @param usage resources used so far
 * @param ticket the sealed job ticket of {@link RunJob}'s lease ticket
 */
public record Heartbeat(
    String id,
    Instant sentAt,
    String agentId,
    String jobId,
    LeaseRef lease,
    JobState state,
    Usage usage,
    JobTicket ticket)
    implements AgentRequest {
  public Heartbeat {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(agentId, "agentId");
    Checks.id(jobId, "jobId");
    Checks.present(lease, "lease");
    Checks.present(state, "state");
    Checks.present(usage, "usage");
    Checks.present(ticket, "ticket");
  }
}
