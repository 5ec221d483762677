package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * The right to run one job until {@link #deadline()}; heartbeats extend it.
 *
 * @param leaseId unique id of this lease
 * @param epoch how many times the job has been leased; an update quoting an older epoch is rejected
 * @param deadline when the lease runs out unless a heartbeat extends it
 */
public record Lease(String leaseId, long epoch, Instant deadline) {
  public Lease {
    Checks.id(leaseId, "leaseId");
    Checks.positive(epoch, "epoch");
    Checks.present(deadline, "deadline");
  }

  /** The reference to this lease that agents quote in their updates. */
  public LeaseRef ref() {
    return new LeaseRef(leaseId, epoch);
  }
}
