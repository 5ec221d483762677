package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code runJob}: the job handed to an agent, with the lease under which it runs.
 *
 * @param id message id
 * @param sentAt send time
 * @param replyTo the {@link GetJob} (or, in direct dispatch, {@link WantGetJob}) answered
 * @param job what to run
 * @param lease the lease the agent must quote in every later update
 * @param ticket the job manager's signed lease ticket, which the agent shows the storage adapter
 */
public record RunJob(String id, Instant sentAt, String replyTo, JobSpec job, Lease lease, LeaseTicket ticket)
    implements Reply {
  public RunJob {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(replyTo, "replyTo");
    Checks.present(job, "job");
    Checks.present(lease, "lease");
    Checks.present(ticket, "ticket");
  }
}
