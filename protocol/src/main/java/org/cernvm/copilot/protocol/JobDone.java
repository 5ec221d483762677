package org.cernvm.copilot.protocol;

import java.time.Instant;
import java.util.List;

/**
 * {@code jobDone}: an agent reports that a leased job has ended.
 *
 * @param id message id
 * @param sentAt send time
 * @param agentId the agent
 * @param jobId the job
 * @param lease the lease held
 * @param outcome how it ended
 * @param failure why it did not succeed, {@link FailureKind#NONE} when it did or was handed back; it fits
 *     the outcome ({@link FailureKind#fits})
 * @param exitCode the payload's exit code ({@code -1} when it never ran)
 * @param diagnostic a short human-readable reason when the outcome is not {@link Outcome#SUCCEEDED}
 * @param usage resources used, as the agent measured them
 * @param report what the payload's own report says of its work
 * @param outputs the output files found, with size and checksums
 * @param ticket the sealed job ticket of {@link RunJob}'s lease ticket
 */
public record JobDone(
    String id,
    Instant sentAt,
    String agentId,
    String jobId,
    LeaseRef lease,
    Outcome outcome,
    FailureKind failure,
    int exitCode,
    String diagnostic,
    Usage usage,
    PayloadReport report,
    List<OutputFile> outputs,
    JobTicket ticket)
    implements AgentRequest {
  public JobDone {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(agentId, "agentId");
    Checks.id(jobId, "jobId");
    Checks.present(lease, "lease");
    Checks.present(outcome, "outcome");
    Checks.present(failure, "failure");
    if (failure == FailureKind.LOST) {
      throw new IllegalArgumentException("field 'failure' LOST is a job manager's record, never an agent's");
    }
    if (!failure.fits(outcome)) {
      throw new IllegalArgumentException("field 'failure' " + failure + " does not fit outcome " + outcome);
    }
    Checks.present(diagnostic, "diagnostic");
    Checks.present(usage, "usage");
    Checks.present(report, "report");
    outputs = Checks.list(outputs, "outputs");
    Checks.present(ticket, "ticket");
  }
}
