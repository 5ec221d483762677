package org.cernvm.copilot.jobmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.GetJob;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job manager in front of an upstream that takes as long as the test likes: agents' requests are
 * answered from the prefetch while every upstream call is stuck, job ends gather into bulk reports, and no
 * prefetched job is lost when the job manager stops, ages them out, or dies.
 */
class UpstreamLatencyTest {
  static final Resources SLOT = JobManagerTest.SLOT;
  static final Address SERVICE = JobManagerTest.SERVICE;
  static final Duration MAX_AGE = Duration.ofMinutes(2);

  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final TestPki pki = new TestPki(time.clock());
  private final List<JobManager> started = new ArrayList<>();
  private GenericQueue queue;
  private SlowUpstream upstream;
  private InMemoryNetwork.Endpoint agent;

  @BeforeEach
  void setUp() throws Exception {
    queue = GenericQueue.open(dir.resolve("queue"), time.clock(), 3);
    upstream = new SlowUpstream(queue, 10);
    agent = pki.connect(net, "agent-1@test/vm", Role.AGENT);
  }

  @AfterEach
  void tearDown() {
    upstream.claims.countDown();
    upstream.heartbeats.countDown();
    upstream.reports.countDown();
    started.forEach(JobManager::close);
  }

  private JobManager jobManager(String resource, int upstreamCalls) throws Exception {
    var config = new JobManagerConfig(SERVICE.value(), JobManagerConfig.Dispatch.HANDSHAKE, Duration.ofSeconds(30),
        Duration.ofSeconds(5), Duration.ofHours(1), dir.resolve("queue"), 3, List.of("storage@test"),
        Duration.ofSeconds(2), dir.resolve("ticket.key"),
        new JobManagerConfig.Prefetching(50, 0, MAX_AGE, 4, Duration.ofSeconds(1)), upstreamCalls);
    JobManager jm = new JobManager(config, pki.connect(net, SERVICE.value() + "/" + resource, Role.JOB_MANAGER),
        upstream, time);
    jm.start();
    started.add(jm);
    return jm;
  }

  private CompletableFuture<Response> send(org.cernvm.copilot.protocol.Request r) {
    return agent.request(SERVICE, r, Duration.ofSeconds(30));
  }

  /** The answer, which must come within 2 s of real time. */
  private static Reply within2s(CompletableFuture<Response> f) throws Exception {
    return f.get(2, TimeUnit.SECONDS).reply();
  }

  private GetJob getJob() {
    return new GetJob(MessageIds.next(), time.clock().instant(), "agent-1", SLOT);
  }

  private JobDone done(RunJob run) {
    return new JobDone(MessageIds.next(), time.clock().instant(), "agent-1", run.job().jobId(), run.lease().ref(),
        Outcome.SUCCEEDED, FailureKind.NONE, 0, "", Usage.none(), PayloadReport.UNKNOWN, List.of(), run.ticket().job());
  }

  /** Asks until the prefetch has {@code jobs} jobs, the first answer being NO_JOB with a hint. */
  private void prefetch(JobManager jm, int jobs) throws Exception {
    Reply first = within2s(send(getJob()));
    assertThat(first).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.NO_JOB);
      assertThat(e.retryAfter()).isPositive();
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> jm.prefetch().orElseThrow().depth() == jobs);
  }

  @Test
  void issue18_getJobIsAnsweredFromThePrefetchWhileEveryUpstreamCallIsStuck() throws Exception {
    JobManager jm = jobManager("jm-1", 16);
    for (int i = 0; i < 6; i++) {
      queue.submit(NewJob.of("true"));
    }
    prefetch(jm, 6);
    assertThat(upstream.claimCalls.get()).as("one bulk claim for all six").isEqualTo(1);

    upstream.claims = new CountDownLatch(1);
    upstream.heartbeats = new CountDownLatch(1);
    upstream.reports = new CountDownLatch(1);
    RunJob first = (RunJob) within2s(send(getJob()));
    CompletableFuture<Response> heartbeat = send(new Heartbeat(MessageIds.next(), time.clock().instant(), "agent-1",
        first.job().jobId(), first.lease().ref(), JobState.RUNNING, Usage.none(), first.ticket().job()));
    CompletableFuture<Response> end = send(done(first));
    // The heartbeat relay and the report wait upstream; the next agent request does not wait for them.
    Reply second = within2s(send(getJob()));
    assertThat(second).isInstanceOf(RunJob.class);
    assertThat(heartbeat).isNotDone();
    assertThat(end).isNotDone();

    // One at a time: released together, the report may reach the queue first, which then fences the
    // heartbeat of a job that is already done.
    upstream.heartbeats.countDown();
    assertThat(within2s(heartbeat)).isInstanceOf(Ack.class);
    assertThat(end).isNotDone();
    upstream.reports.countDown();
    assertThat(within2s(end)).isInstanceOf(Ack.class);
    assertThat(queue.get(first.job().jobId()).orElseThrow().status()).isEqualTo(JobStatus.DONE);
    assertThat(queue.get(((RunJob) second).job().jobId()).orElseThrow().agentId()).isEqualTo("agent-1");
  }

  @Test
  void jobEndsThatWaitForTheUpstreamGoInOneBulkReport() throws Exception {
    JobManager jm = jobManager("jm-1", 1);
    for (int i = 0; i < 5; i++) {
      queue.submit(NewJob.of("true"));
    }
    prefetch(jm, 5);
    List<RunJob> runs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      runs.add((RunJob) within2s(send(getJob())));
    }
    upstream.reports = new CountDownLatch(1);
    List<CompletableFuture<Response>> ends = new ArrayList<>();
    for (RunJob run : runs) {
      ends.add(send(done(run)));
    }
    upstream.reports.countDown();
    for (CompletableFuture<Response> end : ends) {
      assertThat(within2s(end)).isInstanceOf(Ack.class);
    }
    // The first end went alone while the others gathered behind it, then went together.
    assertThat(upstream.reportCalls.get()).isEqualTo(2);
    assertThat(queue.counts().get(JobStatus.DONE)).isEqualTo(5);
  }

  @Test
  void issue18_noPrefetchedJobIsLostWhenTheJobManagerStopsAgesThemOutOrDies() throws Exception {
    for (int i = 0; i < 4; i++) {
      queue.submit(NewJob.of("true"));
    }
    // An orderly stop hands every waiting job back.
    JobManager first = jobManager("jm-1", 16);
    prefetch(first, 4);
    assertThat(queue.counts().get(JobStatus.LEASED)).isEqualTo(4);
    first.close();
    assertThat(queue.counts().get(JobStatus.QUEUED)).isEqualTo(4);
    assertThat(upstream.releases.get()).isEqualTo(4);

    // Jobs nobody asks for within prefetch-max-age go back too.
    JobManager second = jobManager("jm-2", 16);
    prefetch(second, 4);
    time.advance(MAX_AGE.plusSeconds(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().get(JobStatus.QUEUED) == 4);
    second.close();

    // A job manager that dies leaves its prefetched leases, held for prefetch-max-age plus the lease time;
    // then any replica's sweep queues the jobs again.
    Instant now = time.clock().instant();
    assertThat(queue.claim("prefetch.jobmanager.jm-gone", SLOT, MAX_AGE.plusSeconds(30), 10)).hasSize(4);
    JobManager survivor = jobManager("jm-3", 16);
    time.advance(MAX_AGE.plusSeconds(31));
    await().atMost(Duration.ofSeconds(10)).until(() -> queue.counts().get(JobStatus.QUEUED) == 4);
    assertThat(time.clock().instant()).isAfter(now.plus(MAX_AGE));
    assertThat(survivor.prefetch()).isPresent();
  }

  @Test
  void shapesRoundResourcesDownByLessThanAQuarter() {
    for (long v : new long[] {0, 1, 7, 8, 9, 2048, 10_000, 86_400, 1L << 40, Long.MAX_VALUE}) {
      long f = Prefetch.floor(v);
      assertThat(f).isLessThanOrEqualTo(v);
      assertThat((double) f).isGreaterThan(v * 0.75 - 1);
      assertThat(Long.bitCount(f)).isLessThanOrEqualTo(3);
    }
    assertThat(Prefetch.floor(10_000)).isEqualTo(8192);
    assertThat(Prefetch.Shape.of(SLOT)).isEqualTo(Prefetch.Shape.of(new Resources(1, 2100, 9000,
        Duration.ofHours(23), "x86_64-linux", List.of())));
  }
}
