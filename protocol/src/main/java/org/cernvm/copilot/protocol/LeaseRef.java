package org.cernvm.copilot.protocol;

/**
 * What an agent quotes to prove it holds the lease of a job.
 *
 * @param leaseId the lease's id
 * @param epoch the lease's epoch
 */
public record LeaseRef(String leaseId, long epoch) {
  public LeaseRef {
    Checks.id(leaseId, "leaseId");
    Checks.positive(epoch, "epoch");
  }

  @Override
  public String toString() {
    return leaseId + "@" + epoch;
  }
}
