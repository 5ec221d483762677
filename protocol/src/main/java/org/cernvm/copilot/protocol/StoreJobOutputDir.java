package org.cernvm.copilot.protocol;

import java.time.Instant;
import java.util.List;

/**
 * {@code storeJobOutputDir}: the storage adapter's answer to {@link WantStoreJobOutputDir}, one upload
 * grant per file.
 *
 * @param id message id
 * @param sentAt send time
 * @param replyTo the request answered
 * @param jobId the job
 * @param grants one grant per requested file
 */
public record StoreJobOutputDir(String id, Instant sentAt, String replyTo, String jobId, List<UploadGrant> grants)
    implements Reply {
  public StoreJobOutputDir {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(replyTo, "replyTo");
    Checks.id(jobId, "jobId");
    grants = Checks.list(grants, "grants");
  }
}
