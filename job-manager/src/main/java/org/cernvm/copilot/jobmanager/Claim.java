package org.cernvm.copilot.jobmanager;

import org.cernvm.copilot.protocol.JobSpec;
import org.cernvm.copilot.protocol.Lease;

/**
 * A job a source has leased to an agent.
 *
 * @param job what to run
 * @param lease the lease granted
 * @param upstream the source's own state of the job, sealed into the job ticket (see {@link TicketedJob})
 */
public record Claim(JobSpec job, Lease lease, String upstream) {}
