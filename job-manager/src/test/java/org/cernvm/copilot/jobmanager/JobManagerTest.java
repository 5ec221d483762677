package org.cernvm.copilot.jobmanager;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.jobmanager.generic.TestPostgres;
import org.cernvm.copilot.metrics.Samples;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.Drain;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.GetJob;
import org.cernvm.copilot.protocol.HaveGetJob;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.Kill;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.bus.RequestTimeoutException;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The want/have/get/run handshake, leases, fencing, kill and drain over the in-memory bus on a fake clock. */
class JobManagerTest {
  static final Resources SLOT = new Resources(1, 2048, 10_000, Duration.ofHours(24), "x86_64-linux", List.of());
  static final Address SERVICE = Address.of("jobmanager@test");

  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final TestPki pki = new TestPki(time.clock());
  private GenericQueue queue;
  private InMemoryNetwork.Endpoint agent;
  private final List<JobManager> started = new java.util.ArrayList<>();

  @org.junit.jupiter.api.AfterEach
  void stopJobManagers() {
    started.forEach(JobManager::close);
  }

  @BeforeEach
  void setUp() throws Exception {
    queue = GenericQueue.open(dir, time.clock(), 3);
    agent = pki.connect(net, "agent-1@test/vm", Role.AGENT);
  }

  private JobManager jobManager(String resource, JobManagerConfig.Dispatch dispatch) throws Exception {
    return jobManager(resource, dispatch, new PrometheusRegistry());
  }

  private JobManager jobManager(String resource, JobManagerConfig.Dispatch dispatch, PrometheusRegistry registry)
      throws Exception {
    return jobManager(pki.connect(net, SERVICE.value() + "/" + resource, Role.JOB_MANAGER), dispatch, registry, queue);
  }

  private JobManager jobManager(InMemoryNetwork.Endpoint endpoint, JobManagerConfig.Dispatch dispatch,
      PrometheusRegistry registry, JobSource source) throws Exception {
    var config = new JobManagerConfig(SERVICE.value(), dispatch, Duration.ofSeconds(30), Duration.ofSeconds(5),
        Duration.ofHours(1), dir, 3, List.of("storage@test"), Duration.ofSeconds(2), dir.resolve("ticket.key"), JobManagerConfig.Prefetching.DEFAULTS, 16);
    var jm = new JobManager(config, endpoint, source, time, registry);
    jm.start();
    started.add(jm);
    return jm;
  }

  /**
   * Sends {@code r} and waits for its answer, which the job manager may send from another thread (its
   * upstream and hand-over threads), for up to 2 s of real time; then lets the request time out.
   */
  private Response call(Address to, Request r) throws Exception {
    CompletableFuture<Response> f = agent.request(to, r, Duration.ofSeconds(3));
    try {
      return f.get(2, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      time.advance(Duration.ofSeconds(3));
      return f.get();
    }
  }

  private Instant now() {
    return time.clock().instant();
  }

  private RunJob claim() throws Exception {
    Response have = call(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT));
    assertThat(have.reply()).isInstanceOf(HaveGetJob.class);
    Response run = call(have.from(), new GetJob(MessageIds.next(), now(), "agent-1", SLOT));
    assertThat(run.reply()).isInstanceOf(RunJob.class);
    return (RunJob) run.reply();
  }

  private Heartbeat heartbeat(RunJob run) {
    return new Heartbeat(MessageIds.next(), now(), "agent-1", run.job().jobId(), run.lease().ref(), JobState.RUNNING,
        Usage.none(), run.ticket().job());
  }

  private JobDone done(RunJob run) {
    return new JobDone(MessageIds.next(), now(), "agent-1", run.job().jobId(), run.lease().ref(), Outcome.SUCCEEDED, FailureKind.NONE, 0,
        "", Usage.none(), PayloadReport.UNKNOWN, List.of(), run.ticket().job());
  }

  @Test
  void metricsCountLeasesEndsRefusalsAndAgentsWithNoLabelNamingAJobOrAnAgent() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE, registry);
    queue.submit(NewJob.of("true"));
    queue.submit(NewJob.of("false"));
    RunJob first = claim();
    RunJob second = claim();
    Samples s = Samples.of(registry);
    assertThat(s.value("copilot_jobs_leased_total{source=\"generic\"}")).isEqualTo(2);
    assertThat(s.value("copilot_dispatch_duration_seconds_count{source=\"generic\"}")).isEqualTo(2);
    assertThat(s.value("copilot_leases_active{source=\"generic\"}")).isEqualTo(2);
    assertThat(s.value("copilot_agents_connected")).isEqualTo(1);
    assertThat(s.value("copilot_agents_waiting")).isZero();

    assertThat(call(SERVICE, done(first)).reply()).isInstanceOf(Ack.class);
    JobDone failed = new JobDone(MessageIds.next(), now(), "agent-1", second.job().jobId(), second.lease().ref(),
        Outcome.FAILED, FailureKind.PAYLOAD, 1, "exit 1", Usage.none(), PayloadReport.UNKNOWN, List.of(),
        second.ticket().job());
    assertThat(call(SERVICE, failed).reply()).isInstanceOf(Ack.class);
    Reply none = call(Address.of(SERVICE.value() + "/jm-1"), new GetJob(MessageIds.next(), now(), "agent-1", SLOT))
        .reply();
    assertThat(none).isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_JOB));
    s = Samples.of(registry);
    assertThat(s.value("copilot_jobs_ended_total{outcome=\"succeeded\",source=\"generic\"}")).isEqualTo(1);
    assertThat(s.value("copilot_jobs_ended_total{outcome=\"failed\",source=\"generic\"}")).isEqualTo(1);
    assertThat(s.value("copilot_jobs_failed_total{kind=\"payload\",source=\"generic\"}")).isEqualTo(1);
    assertThat(s.sum("copilot_jobs_failed_total")).isEqualTo(1);
    assertThat(s.value("copilot_leases_active{source=\"generic\"}")).isZero();
    assertThat(s.value("copilot_requests_refused_total{code=\"no_job\"}")).isEqualTo(1);
    assertThat(s.value("copilot_agents_waiting")).isEqualTo(1);
    assertThat(s.value("copilot_messages_received_total{verb=\"get_job\"}")).isEqualTo(3);
    assertThat(s.value("copilot_messages_received_total{verb=\"job_done\"}")).isEqualTo(2);
    assertThat(s.value("copilot_source_call_duration_seconds_count{call=\"claim\",source=\"generic\"}"))
        .isEqualTo(3);
    assertThat(s.value("copilot_source_call_duration_seconds_count{call=\"finish_bulk\",source=\"generic\"}"))
        .isEqualTo(2);
    assertThat(s.value("copilot_bus_dropped_total")).isZero();
    assertThat(s.has("copilot_bus_dropped_total")).as("the bus's counts come with the role's").isTrue();
    assertThat(s.toString()).doesNotContain(first.job().jobId()).doesNotContain("agent-1");

    // An agent not heard from for a lease time counts no more.
    time.advance(Duration.ofSeconds(31));
    assertThat(Samples.of(registry).value("copilot_agents_connected")).isZero();
  }

  @Test
  void eachEndCountsOnceAcrossReplicasAndAnAgentWaitingAtOneLeavesItsCountWhenAnotherLeasesItAJob()
      throws Exception {
    PrometheusRegistry one = new PrometheusRegistry();
    PrometheusRegistry two = new PrometheusRegistry();
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE, one);
    jobManager("jm-2", JobManagerConfig.Dispatch.HANDSHAKE, two);
    queue.submit(NewJob.of("true"));
    queue.submit(NewJob.of("true"));
    RunJob run = claim();
    PrometheusRegistry leaser = Samples.of(one).sum("copilot_jobs_leased_total") == 1 ? one : two;
    PrometheusRegistry other = leaser == one ? two : one;
    Address leaserAddress = Address.of(SERVICE.value() + (leaser == one ? "/jm-1" : "/jm-2"));
    assertThat(Samples.of(leaser).value("copilot_agents_busy")).isEqualTo(1);
    assertThat(Samples.of(leaser).value("copilot_agents_waiting")).isZero();
    assertThat(Samples.of(other).value("copilot_agents_waiting")).as("it heard the want_getJob").isEqualTo(1);

    // The agent runs its job, heartbeating the replica that leased it; the other soon stops counting it.
    time.advance(Duration.ofSeconds(20));
    assertThat(call(leaserAddress, heartbeat(run)).reply()).isInstanceOf(Ack.class);
    time.advance(Duration.ofSeconds(15));
    assertThat(Samples.of(other).value("copilot_agents_connected")).isZero();
    assertThat(Samples.of(leaser).value("copilot_agents_busy")).isEqualTo(1);

    // An end sent again, to the service address, after a lost acknowledgement reaches both replicas, and
    // counts once in all.
    assertThat(call(leaserAddress, done(run)).reply()).isInstanceOf(Ack.class);
    assertThat(call(SERVICE, done(run)).reply()).isInstanceOf(Ack.class);
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() ->
        Samples.of(one).sum("copilot_jobs_ended_total") + Samples.of(two).sum("copilot_jobs_ended_total") == 1);

    // A job handed back unfinished, to the replica that leased it, ended, and did not fail.
    Response have = call(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT));
    RunJob second = (RunJob) call(have.from(), new GetJob(MessageIds.next(), now(), "agent-1", SLOT)).reply();
    JobDone released = new JobDone(MessageIds.next(), now(), "agent-1", second.job().jobId(), second.lease().ref(),
        Outcome.RELEASED, FailureKind.NONE, 0, "stopping", Usage.none(), PayloadReport.UNKNOWN, List.of(),
        second.ticket().job());
    assertThat(call(have.from(), released).reply()).isInstanceOf(Ack.class);
    await().atMost(Duration.ofSeconds(5)).until(() ->
        Samples.of(one).sum("copilot_jobs_ended_total") + Samples.of(two).sum("copilot_jobs_ended_total") == 2);
    assertThat(Samples.of(one).sum("copilot_jobs_failed_total") + Samples.of(two).sum("copilot_jobs_failed_total"))
        .isZero();
  }

  @Test
  void jobManagersOnTwoHostsShareAQueueInPostgresqlAndOneGoesOnWhenTheOtherHostIsCutOff() throws Exception {
    try (TestPostgres db = new TestPostgres();
        JobQueue hostA = JobQueue.open(db.location(4), time.clock(), 3);
        JobQueue hostB = JobQueue.open(db.location(4), time.clock(), 3)) {
      InMemoryNetwork.Endpoint a = pki.connect(net, SERVICE.value() + "/host-a", Role.JOB_MANAGER);
      jobManager(a, JobManagerConfig.Dispatch.HANDSHAKE, new PrometheusRegistry(), hostA);
      jobManager(pki.connect(net, SERVICE.value() + "/host-b", Role.JOB_MANAGER), JobManagerConfig.Dispatch.HANDSHAKE,
          new PrometheusRegistry(), hostB);
      for (int i = 0; i < 8; i++) {
        hostA.submit(NewJob.of("true"));
      }
      List<String> ran = new java.util.ArrayList<>();
      java.util.Set<Address> leasers = new java.util.HashSet<>();
      for (int i = 0; i < 4; i++) {
        Response have = call(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT));
        // Each host offers the job; the agent takes the first, a different one each time here.
        Address from = Address.of(SERVICE.value() + (i % 2 == 0 ? "/host-a" : "/host-b"));
        assertThat(have.reply()).isInstanceOf(HaveGetJob.class);
        RunJob run = (RunJob) call(from, new GetJob(MessageIds.next(), now(), "agent-1", SLOT)).reply();
        leasers.add(from);
        ran.add(run.job().jobId());
        assertThat(call(from, done(run)).reply()).isInstanceOf(Ack.class);
      }
      assertThat(leasers).hasSize(2);
      // Host A is cut off; host B goes on with the same queue.
      a.setConnected(false);
      RunJob next;
      while ((next = claimOrNull()) != null) {
        ran.add(next.job().jobId());
        assertThat(call(SERVICE, done(next)).reply()).isInstanceOf(Ack.class);
      }
      assertThat(ran).hasSize(8).doesNotHaveDuplicates();
      await().atMost(Duration.ofSeconds(5)).until(() -> hostB.counts().get(JobStatus.DONE) == 8);
    }
  }

  /** A job claimed as an agent does, or null when no job manager offers one (they stay silent). */
  private RunJob claimOrNull() throws Exception {
    Response have;
    try {
      have = call(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT));
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(RequestTimeoutException.class);
      return null;
    }
    if (!(have.reply() instanceof HaveGetJob)) {
      return null;
    }
    return (RunJob) call(have.from(), new GetJob(MessageIds.next(), now(), "agent-1", SLOT)).reply();
  }

  @Test
  void handshakeHandsOutEachJobOnceAcrossTwoJobManagers() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    jobManager("jm-2", JobManagerConfig.Dispatch.HANDSHAKE);
    String id = queue.submit(NewJob.of("true"));
    RunJob run = claim();
    assertThat(run.job().jobId()).isEqualTo(id);
    assertThat(run.lease().deadline()).isEqualTo(now().plusSeconds(30));

    // Nothing left: every job manager stays silent and the agent's request times out.
    CompletableFuture<Response> want =
        agent.request(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT), Duration.ofSeconds(3));
    time.advance(Duration.ofSeconds(3));
    assertThat(want).isCompletedExceptionally();
    try {
      want.get();
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(RequestTimeoutException.class);
    }
    assertThat(call(SERVICE, done(run)).reply()).isInstanceOf(Ack.class);
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.DONE);
  }

  private RegisterOutputs register(RunJob run, List<StoredFile> files) {
    return new RegisterOutputs(MessageIds.next(), now(), "agent-1", run.job().jobId(), run.lease().ref(), files,
        run.ticket().job());
  }

  @Test
  void issue3_successfulJobDoneIsAcceptedOnlyOnceTheStorageAdapterRegisteredItsOutputs() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    String id = queue.submit(NewJob.of("true").withOutputs("out.txt"));
    RunJob run = claim();
    OutputFile out = new OutputFile("out.txt", 3, "024d0127", "0cc175b9c0f1b6a831c399e269772661");
    JobDone done = new JobDone(MessageIds.next(), now(), "agent-1", id, run.lease().ref(), Outcome.SUCCEEDED, FailureKind.NONE, 0, "",
        Usage.none(), PayloadReport.UNKNOWN, List.of(out), run.ticket().job());

    assertThat(call(SERVICE, done).reply()).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.OUTPUTS_NOT_REGISTERED);
      assertThat(e.retryable()).isTrue();
      assertThat(e.message()).contains("out.txt");
    });

    List<StoredFile> stored = List.of(new StoredFile(out, "file:///se/generic/" + id + "/1/out.txt"));
    InMemoryNetwork.Endpoint storage = pki.connect(net, "storage@test/sa-1", Role.STORAGE);
    CompletableFuture<Response> reg = storage.request(SERVICE, register(run, stored), Duration.ofSeconds(3));
    assertThat(reg.get().reply()).isInstanceOf(Ack.class);
    long version = queue.get(id).orElseThrow().version();
    // The same registration again changes nothing.
    assertThat(storage.request(SERVICE, register(run, stored), Duration.ofSeconds(3)).get().reply())
        .isInstanceOf(Ack.class);
    assertThat(queue.get(id).orElseThrow().version()).isEqualTo(version);

    // Sent again as agents do, under a new message id: the first was answered, not consumed.
    JobDone again = new JobDone(MessageIds.next(), now(), done.agentId(), done.jobId(), done.lease(), done.outcome(), done.failure(),
        done.exitCode(), done.diagnostic(), done.usage(), PayloadReport.UNKNOWN, done.outputs(), done.ticket());
    assertThat(call(SERVICE, again).reply()).isInstanceOf(Ack.class);
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.DONE);
    assertThat(queue.get(id).orElseThrow().stored()).isEqualTo(stored);
    // Registration repeated after the end changes nothing either.
    assertThat(storage.request(SERVICE, register(run, stored), Duration.ofSeconds(3)).get().reply())
        .isInstanceOf(Ack.class);
  }

  @Test
  void issue3_onlyConfiguredStorageAdaptersRegisterAndOnlyUnderTheCurrentLease() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    String id = queue.submit(NewJob.of("true").withOutputs("out.txt"));
    RunJob first = claim();
    List<StoredFile> stored = List.of(new StoredFile(
        new OutputFile("out.txt", 3, "024d0127", "0cc175b9c0f1b6a831c399e269772661"), "file:///se/out.txt"));

    assertThat(call(SERVICE, register(first, stored)).reply()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    assertThat(queue.get(id).orElseThrow().stored()).isEmpty();

    time.advance(Duration.ofSeconds(40));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> queue.get(id).orElseThrow().status() == JobStatus.QUEUED);
    RunJob second = claim();
    InMemoryNetwork.Endpoint storage = pki.connect(net, "storage@test/sa-1", Role.STORAGE);
    assertThat(storage.request(SERVICE, register(first, stored), Duration.ofSeconds(3)).get().reply())
        .isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
    assertThat(storage.request(SERVICE, register(second, stored), Duration.ofSeconds(3)).get().reply())
        .isInstanceOf(Ack.class);
  }

  @Test
  void directDispatchAnswersWantGetJobWithRunJobOrNoJob() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.DIRECT);
    queue.submit(NewJob.of("true"));
    assertThat(call(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT)).reply()).isInstanceOf(RunJob.class);
    Reply none = call(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT)).reply();
    assertThat(none).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.NO_JOB);
      assertThat(e.retryable()).isTrue();
    });
  }

  @Test
  void leaseExpiryRequeuesTheJobAndALateJobDoneIsFenced() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    String id = queue.submit(NewJob.of("true"));
    RunJob first = claim();
    assertThat(call(SERVICE, heartbeat(first)).reply()).isInstanceOf(Ack.class);

    // The agent goes silent; the sweeper (every 5 s, on the upstream threads) takes the lease back once 30 s
    // have passed.
    time.advance(Duration.ofSeconds(40));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> queue.get(id).orElseThrow().status() == JobStatus.QUEUED);

    RunJob second = claim();
    assertThat(second.lease().epoch()).isEqualTo(first.lease().epoch() + 1);
    Reply late = call(SERVICE, done(first)).reply();
    assertThat(late).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.FENCED);
      assertThat(e.retryable()).isFalse();
    });
    assertThat(call(SERVICE, heartbeat(first)).reply()).isInstanceOf(ErrorReply.class);
    assertThat(call(SERVICE, done(second)).reply()).isInstanceOf(Ack.class);
    assertThat(queue.get(id).orElseThrow().epoch()).isEqualTo(2);
  }

  @Test
  void heartbeatsExtendTheLease() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    String id = queue.submit(NewJob.of("true"));
    RunJob run = claim();
    for (int i = 0; i < 10; i++) {
      time.advance(Duration.ofSeconds(7));
      assertThat(call(SERVICE, heartbeat(run)).reply()).isInstanceOf(Ack.class);
    }
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.LEASED);
  }

  @Test
  void killAndDrainReachTheAgentInTheHeartbeatReply() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    queue.submit(NewJob.of("sleep", "100"));
    RunJob run = claim();
    var operator = pki.connect(net, "operator@test/cli", Role.OPERATOR);
    CompletableFuture<Response> k = operator.request(SERVICE, new Kill(MessageIds.next(), now(), run.job().jobId(), "op"),
        Duration.ofSeconds(1));
    CompletableFuture<Response> d = operator.request(SERVICE, new Drain(MessageIds.next(), now(), "agent-1", "upgrade"),
        Duration.ofSeconds(1));
    assertThat(k.get().reply()).isInstanceOf(Ack.class);
    assertThat(d.get().reply()).isInstanceOf(Ack.class);

    Reply reply = call(SERVICE, heartbeat(run)).reply();
    assertThat(reply).isInstanceOfSatisfying(Ack.class, a -> assertThat(a.commands())
        .hasSize(2)
        .anySatisfy(c -> assertThat(c).isInstanceOfSatisfying(Kill.class, x -> assertThat(x.jobId()).isEqualTo(run.job().jobId())))
        .anySatisfy(c -> assertThat(c).isInstanceOf(Drain.class)));

    queue.submit(NewJob.of("true"));
    Reply want = call(SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", SLOT)).reply();
    assertThat(want).isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DRAINING));
  }

  @Test
  void anAgentCannotActForAnother() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    queue.submit(NewJob.of("true"));
    RunJob run = claim();
    var intruder = pki.connect(net, "agent-2@test/vm", Role.AGENT);
    CompletableFuture<Response> f = intruder.request(SERVICE, done(run), Duration.ofSeconds(1));
    assertThat(f.get().reply()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    assertThat(queue.get(run.job().jobId()).orElseThrow().status()).isEqualTo(JobStatus.LEASED);
  }

  @Test
  void issue6_anAgentQuotingAnotherAgentsLeaseCannotHeartbeatOrFinishItAndRunJobCarriesASignedTicket() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    queue.submit(NewJob.of("true"));
    RunJob run = claim();
    assertThat(run.ticket().agentId()).isEqualTo("agent-1");
    assertThat(run.ticket().lease()).isEqualTo(run.lease().ref());
    assertThat(agent.security().verify(run.ticket()).name()).isEqualTo("jobmanager");

    var other = pki.connect(net, "agent-2@test/vm", Role.AGENT);
    JobDone stolen = new JobDone(MessageIds.next(), now(), "agent-2", run.job().jobId(), run.lease().ref(),
        Outcome.SUCCEEDED, FailureKind.NONE, 0, "", Usage.none(), PayloadReport.UNKNOWN, List.of(), run.ticket().job());
    assertThat(other.request(SERVICE, stolen, Duration.ofSeconds(1)).get().reply())
        .isInstanceOfSatisfying(ErrorReply.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
          assertThat(e.message()).contains("agent agent-2");
        });
    Heartbeat hb = new Heartbeat(MessageIds.next(), now(), "agent-2", run.job().jobId(), run.lease().ref(),
        org.cernvm.copilot.protocol.JobState.RUNNING, Usage.none(), run.ticket().job());
    assertThat(other.request(SERVICE, hb, Duration.ofSeconds(1)).get().reply())
        .isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    assertThat(queue.get(run.job().jobId()).orElseThrow().status()).isEqualTo(JobStatus.LEASED);
    assertThat(call(SERVICE, done(run)).reply()).isInstanceOf(Ack.class);
  }

  @Test
  void issue7_aGetJobForAJobManagerThatIsGoneIsNotLeasedByTheReplicasItIsHandedTo() throws Exception {
    jobManager("jm-1", JobManagerConfig.Dispatch.HANDSHAKE);
    jobManager("jm-2", JobManagerConfig.Dispatch.HANDSHAKE);
    String id = queue.submit(NewJob.of("true"));
    // jm-3 handed out the agent's last job and has gone; like an XMPP server, the network hands a message
    // for the absent resource to the account's other resources.
    Address gone = Address.of(SERVICE.value() + "/jm-3");
    Reply r = call(gone, new GetJob(MessageIds.next(), now(), "agent-1", SLOT)).reply();
    assertThat(r).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.NO_JOB);
      assertThat(e.message()).contains("jm-3");
    });
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
    assertThat(claim().job().jobId()).isEqualTo(id);
  }

  @Test
  void issue7_aJobRequestThatWaitedTooLongInTheJobManagerIsNotLeased() throws Exception {
    // Deliveries wait in a list, as requests wait for a busy job manager's threads.
    List<Runnable> waiting = new java.util.ArrayList<>();
    InMemoryNetwork busy = new InMemoryNetwork(time, waiting::add);
    var config = new JobManagerConfig(SERVICE.value(), JobManagerConfig.Dispatch.HANDSHAKE, Duration.ofSeconds(30),
        Duration.ofSeconds(5), Duration.ofHours(1), dir, 3, List.of("storage@test"), Duration.ofSeconds(2), dir.resolve("ticket.key"), JobManagerConfig.Prefetching.DEFAULTS, 16);
    JobManager slow = new JobManager(config, pki.connect(busy, SERVICE.value() + "/jm-9", Role.JOB_MANAGER), queue, time);
    slow.start();
    started.add(slow);
    var slowAgent = pki.connect(busy, "agent-1@test/vm9", Role.AGENT);
    String id = queue.submit(NewJob.of("true"));

    CompletableFuture<Response> f = slowAgent.request(SERVICE, new GetJob(MessageIds.next(), now(), "agent-1", SLOT),
        Duration.ofSeconds(10));
    time.advance(Duration.ofSeconds(3));
    while (!waiting.isEmpty()) {
      waiting.remove(0).run();
    }
    assertThat(f.get().reply()).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.NO_JOB);
      assertThat(e.retryable()).isTrue();
      assertThat(e.message()).contains("busy").contains("waited 3000 ms");
    });
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
  }
}
