package org.cernvm.copilot.jobmanager;

import java.util.Objects;
import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.LeaseRef;

/**
 * A leased job as its sealed job ticket describes it: what any job-manager replica needs to continue it.
 *
 * @param job the job as handed to the agent
 * @param agentId the agent that holds the lease
 * @param lease the lease
 * @param upstream the source's own state of the job, e.g. the PanDA job's fields or the AliEn job token;
 *     empty for the generic queue, whose state is on shared disk
 */
public record TicketedJob(JobSpec job, String agentId, LeaseRef lease, String upstream) {
  public TicketedJob {
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(agentId, "agentId");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(upstream, "upstream");
  }
}
