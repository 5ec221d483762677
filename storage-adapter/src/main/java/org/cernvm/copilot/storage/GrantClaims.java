package org.cernvm.copilot.storage;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.OutputFile;

/**
 * What an upload grant allows: one file of one job under one lease, until it expires. The grant also
 * lists every output of the job, so that the storage adapter can tell, from the grant alone, when the
 * job's outputs are complete and what to register.
 *
 * @param agentId the agent the grant was issued to
 * @param source the job's source
 * @param jobId the job
 * @param lease the lease the outputs were produced under
 * @param jobManager the job-manager service to register them with
 * @param file the name of the one file this grant allows
 * @param files every output of the job with its declared size and checksums
 * @param expiresAt when the grant stops being accepted
 * @param ticketDigest the {@link JobTicket#digest()} of the job's sealed ticket: every upload presents the
 *     ticket itself, which must match it and which {@code registerOutputs} passes on (the ticket in the grant
 *     would make every grant as big as the job)
 */
record GrantClaims(
    String agentId,
    String source,
    String jobId,
    LeaseRef lease,
    String jobManager,
    String file,
    List<OutputFile> files,
    Instant expiresAt,
    String ticketDigest) {
  GrantClaims {
    Objects.requireNonNull(agentId, "agentId");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(jobManager, "jobManager");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(ticketDigest, "ticketDigest");
    files = List.copyOf(files);
    if (files.stream().noneMatch(f -> f.name().equals(file))) {
      throw new IllegalArgumentException("the grant's file " + file + " is not among the job's files");
    }
  }

  /** The declared size and checksums of the granted file. */
  OutputFile expected() {
    return files.stream().filter(f -> f.name().equals(file)).findFirst().orElseThrow();
  }

  /** The backend key of the granted file. */
  String key() {
    return key(file);
  }

  /** The backend key of one of the job's files. */
  String key(String name) {
    return Keys.of(source, jobId, lease.epoch(), name);
  }
}
