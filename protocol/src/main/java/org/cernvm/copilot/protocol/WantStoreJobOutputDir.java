package org.cernvm.copilot.protocol;

import java.time.Instant;
import java.util.List;

/**
 * {@code want_storeJobOutputDir}: an agent asks the storage adapter for upload grants for a job's
 * outputs.
 *
 * @param id message id
 * @param sentAt send time
 * @param agentId the agent
 * @param jobId the job
 * @param source the job's source ({@link JobSpec#source()}); with the job id it names the job uniquely
 * @param jobManager the bare address of the job-manager service that leased the job; the storage adapter
 *     asks it to register the outputs, and only if it is one it is configured to serve
 * @param lease the lease held
 * @param files every output file of the job, with size and checksums
 * @param ticket the job manager's lease ticket for this job and agent
 */
public record WantStoreJobOutputDir(
    String id,
    Instant sentAt,
    String agentId,
    String jobId,
    String source,
    String jobManager,
    LeaseRef lease,
    List<OutputFile> files,
    LeaseTicket ticket)
    implements StorageRequest {
  public WantStoreJobOutputDir {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(agentId, "agentId");
    Checks.id(jobId, "jobId");
    Checks.id(source, "source");
    Checks.text(jobManager, "jobManager");
    Checks.present(lease, "lease");
    files = Checks.list(files, "files");
    Checks.present(ticket, "ticket");
  }
}
