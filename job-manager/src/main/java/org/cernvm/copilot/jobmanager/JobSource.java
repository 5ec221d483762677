package org.cernvm.copilot.jobmanager;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Implementations must be thread-safe: the job manager calls them from several threads at once. Calls
 * that reach the upstream run on the job manager's upstream threads, never on a bus thread; only
 * {@link #adopt}, and {@link #hasWorkFor} and {@link #claim(String, Resources, Duration)} of a source that
 * does not prefetch, run on a bus thread, and {@link #assign} on the job manager's hand-over threads, so
 * those must not wait on a remote system.
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
   * Whether the job manager keeps a prefetch of this source's jobs ({@link Prefetch}) and answers agents
   * from it. A source behind a remote upstream does; the generic queue on local disk does not, since a
   * claim there costs no more than a take from memory and would only add a state change.
   */
  default boolean prefetches() {
    return true;
  }

  /** The most jobs one upstream call may claim, as PanDA's {@code n_jobs}; 1 where the upstream has no bulk claim. */
  default int maxClaimBatch() {
    return 1;
  }

  /**
   * Leases up to {@code max} jobs that fit {@code resources} to {@code holder}, in one upstream call where
   * the upstream can; by default one claim after another until none fits.
   *
   * @return the jobs and their leases, fewer than {@code max} (or none) when fewer fit
   */
  default List<Claim> claim(String holder, Resources resources, Duration leaseTime, int max)
      throws JobSourceException {
    List<Claim> claims = new ArrayList<>();
    while (claims.size() < max) {
      Optional<Claim> c = claim(holder, resources, leaseTime);
      if (c.isEmpty()) {
        break;
      }
      claims.add(c.get());
    }
    return claims;
  }

  /**
   * Hands a job leased to {@code holder} (the job manager itself, for its prefetch) on to the agent: the
   * lease keeps its id and epoch and gets the hand-over's deadline. It changes only this source's own
   * records; the upstream learns the job's node from the job's first update.
   *
   * @throws LeaseFencedException if the job is no longer leased under the claim's lease, e.g. it was
   *     killed or its lease expired
   */
  void assign(HandOver handOver) throws JobSourceException;

  /**
   * Hands several prefetched jobs on, as {@link #assign} each, in one go where the source can (the generic
   * queue forces their new states to disk together).
   *
   * @return the failure of each hand-over that was not made; the others were
   */
  default Map<HandOver, JobSourceException> assignAll(List<HandOver> handOvers) {
    Map<HandOver, JobSourceException> failed = new LinkedHashMap<>();
    for (HandOver h : handOvers) {
      try {
        assign(h);
      } catch (JobSourceException e) {
        failed.put(h, e);
      }
    }
    return failed;
  }

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

  /** The most job ends one upstream call may report; 1 where the upstream has no bulk update. */
  default int maxReportBatch() {
    return 1;
  }

  /**
   * Records the ends of several jobs, in one upstream call where the upstream can; by default one
   * {@link #finish} after another.
   *
   * @return the failure of each end that was not recorded; the others were
   */
  default Map<JobDone, JobSourceException> finishAll(List<JobDone> dones) {
    Map<JobDone, JobSourceException> failed = new LinkedHashMap<>();
    for (JobDone d : dones) {
      try {
        finish(d);
      } catch (JobSourceException e) {
        failed.put(d, e);
      }
    }
    return failed;
  }

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
