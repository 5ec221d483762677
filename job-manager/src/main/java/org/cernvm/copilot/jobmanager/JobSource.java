package org.cernvm.copilot.jobmanager;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;

/**
 * Where a job manager's jobs come from: the generic queue, PanDA or AliEn. The job manager speaks the
 * CoPilot protocol; the source keeps the state of each job and its lease. Any job-manager replica can
 * continue a job another one started: the generic queue keeps its state on shared disk, and the upstream
 * sources take it from the job's sealed job ticket ({@link #adopt}).
 *
 * <p>Implementations must be thread-safe: the job manager calls them from several threads at once.
 */
public interface JobSource {
  /** Short name of the source, e.g. {@code generic}. */
  String name();

  /** Whether a job for these resources is likely available now; a cheap look that claims nothing. */
  boolean hasWorkFor(Resources resources) throws JobSourceException;

  /**
   * Leases one job that fits {@code resources} to {@code agentId} for {@code leaseTime}.
   *
   * @return the job and its lease, or empty when none fits
   */
  Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime) throws JobSourceException;

  /**
   * Takes over a job that another replica (or this one, before a restart) leased, as its sealed job ticket
   * describes it, unless this source knows the job already. The job manager calls it before it passes on
   * a heartbeat, job end or output registration. A source whose state is shared, like the generic queue,
   * has nothing to do. A job taken over is not expired by {@link #expireLeases}: another replica may be
   * the one its agent talks to, so a silent agent's job is left to the upstream's own timeout.
   */
  default void adopt(TicketedJob job, Duration leaseTime) throws JobSourceException {}

  /**
   * Records a heartbeat and extends the lease by {@code leaseTime}.
   *
   * @return the reason when the job is to be killed, else empty
   * @throws LeaseFencedException if the heartbeat's lease is not the job's current lease
   */
  Optional<String> heartbeat(Heartbeat heartbeat, Duration leaseTime) throws JobSourceException;

  /**
   * Records that a job ended. Reporting the same end under the same lease again changes nothing. A
   * successful job is accepted only once its outputs are registered (see {@link RegisteredOutputs}).
   *
   * @throws LeaseFencedException if the report's lease is not the lease under which the job ran last
   * @throws OutputsNotRegisteredException if the job succeeded but its outputs are not registered yet
   */
  void finish(JobDone done) throws JobSourceException;

  /**
   * Registers a job's stored outputs upstream (the generic queue records them; PanDA and AliEn register
   * them in their catalogues). Registering the same files under the same lease again changes nothing.
   *
   * @throws LeaseFencedException if the request's lease is not the job's current lease
   */
  void registerOutputs(RegisterOutputs request) throws JobSourceException;

  /** Hands a leased job back so that it runs again elsewhere. */
  void release(String jobId, LeaseRef lease, String reason) throws JobSourceException;

  /**
   * Ends a job: a waiting job is cancelled at once, a leased one is killed through its next heartbeat.
   *
   * @throws UnknownJobException if there is no such job
   */
  void kill(String jobId, String reason) throws JobSourceException;

  /**
   * Takes back every lease whose deadline has passed: the job is queued again under a new epoch, or
   * fails when it has been leased too often.
   *
   * @return how many leases expired
   */
  int expireLeases() throws JobSourceException;

  /**
   * The built-in generic queue kept in {@code directory}, shared by every job manager on the host that
   * opens the same directory.
   *
   * @param maxAttempts how often a job may be leased before an expired lease fails it
   * @throws UpstreamUnavailableException if the directory cannot be created or read
   */
  static GenericQueue generic(Path directory, Clock clock, int maxAttempts) throws UpstreamUnavailableException {
    return GenericQueue.open(directory, clock, maxAttempts);
  }
}
