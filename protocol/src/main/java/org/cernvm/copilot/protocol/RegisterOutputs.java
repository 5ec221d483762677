package org.cernvm.copilot.protocol;

import java.time.Instant;
import java.util.List;

/**
 * {@code registerOutputs}: the storage adapter asks the job-manager service to register a job's outputs
 * upstream, once every one of them is stored and verified. Registering the same files under the same
 * lease again changes nothing.
 *
 * @param id message id
 * @param sentAt send time
 * @param agentId the agent that uploaded them
 * @param jobId the job
 * @param lease the lease under which they were produced
 * @param files every output of the job, as stored
 * @param ticket the sealed job ticket the agent showed with its lease ticket
 */
public record RegisterOutputs(
    String id,
    Instant sentAt,
    String agentId,
    String jobId,
    LeaseRef lease,
    List<StoredFile> files,
    JobTicket ticket)
    implements Request {
  public RegisterOutputs {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(agentId, "agentId");
    Checks.id(jobId, "jobId");
    Checks.present(lease, "lease");
    files = Checks.list(files, "files");
    Checks.present(ticket, "ticket");
  }
}
