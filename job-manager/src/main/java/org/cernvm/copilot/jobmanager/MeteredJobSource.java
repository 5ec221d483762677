package org.cernvm.copilot.jobmanager;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;

/** A job source that times each of its calls, and counts those that fail, into a job manager's metrics. */
final class MeteredJobSource implements JobSource {
  private final JobSource source;
  private final JobManagerMetrics metrics;

  MeteredJobSource(JobSource source, JobManagerMetrics metrics) {
    this.source = source;
    this.metrics = metrics;
  }

  @FunctionalInterface
  private interface Call<T> {
    T run() throws JobSourceException;
  }

  private <T> T timed(String call, Call<T> c) throws JobSourceException {
    long start = System.nanoTime();
    try {
      T result = c.run();
      metrics.called(call, System.nanoTime() - start, null);
      return result;
    } catch (JobSourceException e) {
      metrics.called(call, System.nanoTime() - start, e);
      throw e;
    }
  }

  private <K> Map<K, JobSourceException> bulk(String call, Map<K, JobSourceException> failed, long start) {
    metrics.called(call, System.nanoTime() - start, null);
    failed.values().forEach(e -> metrics.failed(call, e));
    return failed;
  }

  @Override
  public String name() {
    return source.name();
  }

  @Override
  public boolean hasWorkFor(Resources resources) throws JobSourceException {
    return timed("has_work", () -> source.hasWorkFor(resources));
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime) throws JobSourceException {
    return timed("claim", () -> source.claim(agentId, resources, leaseTime));
  }

  @Override
  public boolean prefetches() {
    return source.prefetches();
  }

  @Override
  public int maxClaimBatch() {
    return source.maxClaimBatch();
  }

  @Override
  public List<Claim> claim(String holder, Resources resources, Duration leaseTime, int max)
      throws JobSourceException {
    return timed("claim_bulk", () -> source.claim(holder, resources, leaseTime, max));
  }

  @Override
  public void assign(HandOver handOver) throws JobSourceException {
    timed("assign", () -> {
      source.assign(handOver);
      return null;
    });
  }

  @Override
  public Map<HandOver, JobSourceException> assignAll(List<HandOver> handOvers) {
    long start = System.nanoTime();
    return bulk("assign_bulk", source.assignAll(handOvers), start);
  }

  @Override
  public void adopt(TicketedJob job, Duration leaseTime) throws JobSourceException {
    timed("adopt", () -> {
      source.adopt(job, leaseTime);
      return null;
    });
  }

  @Override
  public Optional<String> heartbeat(Heartbeat heartbeat, Duration leaseTime) throws JobSourceException {
    return timed("heartbeat", () -> source.heartbeat(heartbeat, leaseTime));
  }

  @Override
  public void finish(JobDone done) throws JobSourceException {
    timed("finish", () -> {
      source.finish(done);
      return null;
    });
  }

  @Override
  public int maxReportBatch() {
    return source.maxReportBatch();
  }

  @Override
  public Map<JobDone, JobSourceException> finishAll(List<JobDone> dones) {
    long start = System.nanoTime();
    return bulk("finish_bulk", source.finishAll(dones), start);
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    timed("register_outputs", () -> {
      source.registerOutputs(request);
      return null;
    });
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    timed("release", () -> {
      source.release(jobId, lease, reason);
      return null;
    });
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    timed("kill", () -> {
      source.kill(jobId, reason);
      return null;
    });
  }

  @Override
  public int expireLeases() throws JobSourceException {
    return timed("expire_leases", source::expireLeases);
  }
}
