package org.cernvm.copilot.jobmanager;

import java.time.Instant;
import org.cernvm.copilot.protocol.Lease;

/**
 * A prefetched job handed to an agent: the claim its job manager holds as {@code holder}, now the agent's
 * under the same lease id and epoch until {@code deadline}.
 *
 * @param claim the job as prefetched
 * @param holder the name the job manager holds its prefetched leases under
 * @param agentId the agent that gets the job
 * @param deadline the lease's new deadline
 */
public record HandOver(Claim claim, String holder, String agentId, Instant deadline) {
  /** The claim as the agent gets it. */
  public Claim toAgent() {
    Lease l = claim.lease();
    return new Claim(claim.job(), new Lease(l.leaseId(), l.epoch(), deadline), claim.upstream());
  }
}
