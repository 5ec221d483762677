package org.cernvm.copilot.jobmanager;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;

/**
 * A fake remote upstream for tests: the generic queue behind gates that the test opens, so that claims,
 * heartbeats and reports can be held "on the wire" as long as the test likes, with counts of each call.
 */
final class SlowUpstream implements JobSource {
  final GenericQueue queue;
  final int batch;
  volatile CountDownLatch claims = new CountDownLatch(0);
  volatile CountDownLatch heartbeats = new CountDownLatch(0);
  volatile CountDownLatch reports = new CountDownLatch(0);
  final AtomicInteger claimCalls = new AtomicInteger();
  final AtomicInteger reportCalls = new AtomicInteger();
  final AtomicInteger releases = new AtomicInteger();

  SlowUpstream(GenericQueue queue, int batch) {
    this.queue = queue;
    this.batch = batch;
  }

  private static void pass(CountDownLatch gate) throws UpstreamUnavailableException {
    try {
      if (!gate.await(30, TimeUnit.SECONDS)) {
        throw new UpstreamUnavailableException("the test's upstream gate stayed shut for 30 s", null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamUnavailableException("interrupted at the test's upstream gate", e);
    }
  }

  @Override
  public String name() {
    return "slow";
  }

  @Override
  public boolean hasWorkFor(Resources resources) throws JobSourceException {
    return queue.hasWorkFor(resources);
  }

  @Override
  public Optional<Claim> claim(String agentId, Resources resources, Duration leaseTime) throws JobSourceException {
    claimCalls.incrementAndGet();
    pass(claims);
    return queue.claim(agentId, resources, leaseTime);
  }

  @Override
  public int maxClaimBatch() {
    return batch;
  }

  @Override
  public List<Claim> claim(String holder, Resources resources, Duration leaseTime, int max) throws JobSourceException {
    claimCalls.incrementAndGet();
    pass(claims);
    return queue.claim(holder, resources, leaseTime, max);
  }

  @Override
  public void assign(HandOver handOver) throws JobSourceException {
    queue.assign(handOver);
  }

  @Override
  public Map<HandOver, JobSourceException> assignAll(List<HandOver> handOvers) {
    return queue.assignAll(handOvers);
  }

  @Override
  public Optional<String> heartbeat(Heartbeat heartbeat, Duration leaseTime) throws JobSourceException {
    pass(heartbeats);
    return queue.heartbeat(heartbeat, leaseTime);
  }

  @Override
  public void finish(JobDone done) throws JobSourceException {
    reportCalls.incrementAndGet();
    pass(reports);
    queue.finish(done);
  }

  @Override
  public int maxReportBatch() {
    return batch;
  }

  @Override
  public Map<JobDone, JobSourceException> finishAll(List<JobDone> dones) {
    reportCalls.incrementAndGet();
    try {
      pass(reports);
    } catch (UpstreamUnavailableException e) {
      return Map.of(dones.get(0), e);
    }
    return queue.finishAll(dones);
  }

  @Override
  public void registerOutputs(RegisterOutputs request) throws JobSourceException {
    queue.registerOutputs(request);
  }

  @Override
  public void release(String jobId, LeaseRef lease, String reason) throws JobSourceException {
    releases.incrementAndGet();
    queue.release(jobId, lease, reason);
  }

  @Override
  public void kill(String jobId, String reason) throws JobSourceException {
    queue.kill(jobId, reason);
  }

  @Override
  public int expireLeases() throws JobSourceException {
    return queue.expireLeases();
  }
}
