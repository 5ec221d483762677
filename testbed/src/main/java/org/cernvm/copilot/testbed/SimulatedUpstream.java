package org.cernvm.copilot.testbed;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;

/**
 * A job source behind a slow upstream, for load runs: every call that would reach PanDA or AliEn (claim,
 * heartbeat, finish, registration, release, kill) first waits {@code latency}, one call at a time per job
 * manager, as an adapter with one connection to its upstream would. The wait happens outside the wrapped
 * source, so job managers in other processes wait in parallel.
 */
final class SimulatedUpstream implements JobSource {
  private final JobSource source;
  private final Duration latency;
  private final ReentrantLock connection = new ReentrantLock();

  /** Wraps {@code source}. */
  SimulatedUpstream(JobSource source, Duration latency) {
    this.source = source;
    this.latency = latency;
  }

  private void roundTrip() throws JobSourceException {
    connection.lock();
    try {
      Thread.sleep(latency.toMillis(), (int) (latency.toNanos() % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new org.cernvm.copilot.jobmanager.UpstreamUnavailableException("interrupted during a simulated upstream call",
          e);
    } finally {
      connection.unlock();
    }
  }

  @Override
  public String name() {
    return source.name();
  }

  @Override
  public boolean hasWorkFor(Resources resources) throws JobSourceException {
    return source.hasWorkFor(resources);
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime) throws JobSourceException {
    roundTrip();
    return source.claim(agentId, resources, leaseTime);
  }

  @Override
  public Optional<String> heartbeat(Heartbeat heartbeat, Duration leaseTime) throws JobSourceException {
    roundTrip();
    return source.heartbeat(heartbeat, leaseTime);
  }

  @Override
  public void finish(JobDone done) throws JobSourceException {
    roundTrip();
    source.finish(done);
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    roundTrip();
    source.registerOutputs(request);
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    roundTrip();
    source.release(jobId, lease, reason);
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    roundTrip();
    source.kill(jobId, reason);
  }

  @Override
  public int expireLeases() throws JobSourceException {
    return source.expireLeases();
  }
}
