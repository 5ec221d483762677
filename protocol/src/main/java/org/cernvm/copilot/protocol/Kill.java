package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code kill}: end a job; a queued job is cancelled, a running one is killed by its agent.
 *
 * @param id message id
 * @param sentAt send time
 * @param jobId the job
 * @param reason why, for the logs and the job's record
 */
public record Kill(String id, Instant sentAt, String jobId, String reason) implements Command {
  public Kill {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(jobId, "jobId");
    Checks.present(reason, "reason");
  }
}
