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
 * @param lease the lease held
 * @param files the files to upload, with size and checksums
 */
public record WantStoreJobOutputDir(
    String id, Instant sentAt, String agentId, String jobId, LeaseRef lease, List<OutputFile> files)
    implements StorageRequest {
  public WantStoreJobOutputDir {
    Checks.text(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.text(agentId, "agentId");
    Checks.text(jobId, "jobId");
    Checks.present(lease, "lease");
    files = Checks.list(files, "files");
  }
}
