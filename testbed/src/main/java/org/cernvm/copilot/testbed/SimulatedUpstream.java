package org.cernvm.copilot.testbed;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.HandOver;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;

/**
 * A job source behind a simulated remote server, for load runs, modelled on a PanDA server: every call that
 * would reach the server (claim, heartbeat, report, registration, release, kill) costs {@code latency}
 * whatever it carries; a claim carries up to {@code jobsPerCall} jobs (PanDA's {@code n_jobs}) and a report
 * as many job ends (a bulk update); and the server takes at most {@code concurrentCalls} calls at once from
 * one job manager, further calls waiting for their turn. Handing a prefetched job to an agent is the job
 * manager's own bookkeeping and costs nothing. The wait happens outside the wrapped source, so job
 * managers in other processes wait in parallel. The wrapped source is the server's store: the calls reach
 * it one at a time, as a server's writes reach its database, so that a hand-over to an agent (which goes to
 * the store at once) waits behind at most one of them rather than behind every call under way. It counts
 * the calls it made.
 */
final class SimulatedUpstream implements JobSource {
  private final JobSource source;
  private final Duration latency;
  private final int jobsPerCall;
  private final Semaphore server;
  private final AtomicLong calls = new AtomicLong();
  private final ReentrantLock store = new ReentrantLock();

  /** Wraps {@code source}. */
  SimulatedUpstream(JobSource source, Duration latency, int jobsPerCall, int concurrentCalls) {
    this.source = source;
    this.latency = latency;
    this.jobsPerCall = jobsPerCall;
    this.server = new Semaphore(concurrentCalls, true);
  }

  /** How many calls reached the simulated server so far. */
  long calls() {
    return calls.get();
  }

  /** A call of the wrapped store. */
  @FunctionalInterface
  private interface StoreCall<T> {
    T run() throws JobSourceException;
  }

  /** Waits the latency, then makes {@code call} on the store, one at a time. */
  private <T> T call(StoreCall<T> call) throws JobSourceException {
    roundTrip();
    store.lock();
    try {
      return call.run();
    } finally {
      store.unlock();
    }
  }

  private void roundTrip() throws JobSourceException {
    calls.incrementAndGet();
    try {
      server.acquire();
      try {
        Thread.sleep(latency.toMillis(), (int) (latency.toNanos() % 1_000_000));
      } finally {
        server.release();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamUnavailableException("interrupted during a simulated upstream call", e);
    }
  }

  @Override
  public String name() {
    return source.name();
  }

  @Override
  public boolean prefetches() {
    return true;
  }

  @Override
  public int maxClaimBatch() {
    return jobsPerCall;
  }

  @Override
  public int maxReportBatch() {
    return jobsPerCall;
  }

  @Override
  public boolean hasWorkFor(Resources resources) throws JobSourceException {
    return source.hasWorkFor(resources);
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime) throws JobSourceException {
    return call(() -> source.claim(agentId, resources, leaseTime));
  }

  @Override
  public List<Claim> claim(String holder, Resources resources, Duration leaseTime, int max) throws JobSourceException {
    return call(() -> source.claim(holder, resources, leaseTime, Math.min(max, jobsPerCall)));
  }

  @Override
  public void assign(HandOver handOver) throws JobSourceException {
    source.assign(handOver);
  }

  @Override
  public Map<HandOver, JobSourceException> assignAll(List<HandOver> handOvers) {
    return source.assignAll(handOvers);
  }

  @Override
  public Optional<String> heartbeat(Heartbeat heartbeat, Duration leaseTime) throws JobSourceException {
    return call(() -> source.heartbeat(heartbeat, leaseTime));
  }

  @Override
  public void finish(JobDone done) throws JobSourceException {
    call(() -> {
      source.finish(done);
      return null;
    });
  }

  @Override
  public Map<JobDone, JobSourceException> finishAll(List<JobDone> dones) {
    try {
      return call(() -> source.finishAll(dones));
    } catch (JobSourceException e) {
      return dones.stream().collect(java.util.stream.Collectors.toMap(d -> d, d -> e, (a, b) -> a));
    }
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    call(() -> {
      source.registerOutputs(request);
      return null;
    });
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    call(() -> {
      source.release(jobId, lease, reason);
      return null;
    });
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    call(() -> {
      source.kill(jobId, reason);
      return null;
    });
  }

  @Override
  public int expireLeases() throws JobSourceException {
    return source.expireLeases();
  }
}
