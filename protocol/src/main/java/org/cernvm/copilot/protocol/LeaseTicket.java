package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * A job manager's signed statement that it leased a job to an agent. The agent shows it to the storage
 * adapter, which so learns — without asking the job manager — that the sender holds the lease of the job
 * whose outputs it wants to upload. Whether the lease is still current is checked when the outputs are
 * registered; see {@link org.cernvm.copilot.protocol.security.MessageSecurity#ticket}.
 *
 * @param jobManager the bare address of the job-manager service
 * @param source the job's source
 * @param jobId the job
 * @param agentId the agent it was leased to
 * @param lease the lease
 * @param job the sealed job ticket, which the storage adapter passes on when it registers the outputs
 * @param issuedAt when the job manager signed it
 * @param certificate the signing job manager's certificate, DER, base64
 * @param signature the signature over all the fields above, base64
 */
public record LeaseTicket(
    String jobManager,
    String source,
    String jobId,
    String agentId,
    LeaseRef lease,
    JobTicket job,
    Instant issuedAt,
    String certificate,
    String signature) {
  public LeaseTicket {
    Checks.text(jobManager, "jobManager");
    Checks.id(source, "source");
    Checks.id(jobId, "jobId");
    Checks.id(agentId, "agentId");
    Checks.present(lease, "lease");
    Checks.present(job, "job");
    Checks.present(issuedAt, "issuedAt");
    Checks.text(certificate, "certificate");
    Checks.text(signature, "signature");
  }

  /** The bytes the signature covers. */
  public String signedText() {
    return "copilot-lease-ticket-v2\n" + jobManager + "\n" + source + "\n" + jobId + "\n" + agentId + "\n"
        + lease.leaseId() + "\n" + lease.epoch() + "\n" + job.keyId() + "\n" + job.nonce() + "\n" + job.data() + "\n"
        + issuedAt;
  }
}
