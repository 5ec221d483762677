package org.cernvm.copilot.panda;

import org.cernvm.copilot.testkit.panda.JobView;
import org.cernvm.copilot.testkit.panda.FakePanda;
import org.cernvm.copilot.testkit.panda.Evgen;
import org.cernvm.copilot.testkit.panda.PandaOutput;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.panda.PandaConfig;
import org.cernvm.copilot.panda.PandaJobSource;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.GetJob;
import org.cernvm.copilot.protocol.HaveGetJob;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two job managers serve one PanDA queue; the one that leased a job goes away mid-run and the
 * other continues the job from its sealed job ticket, against the fake PanDA server over real HTTP.
 */
class PandaFailoverTest {
  static final Address SERVICE = Address.of("jobmanager@test");

  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final TestPki pki = new TestPki(time.clock());
  private final Evgen evgen = new Evgen(100, 13600, 950000, "MC23.CoPilotDY_Zll", "AtlasProduction,23.6.1", 47000001L);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private FakePanda panda;
  private InMemoryNetwork.Endpoint agent;

  @BeforeEach
  void setUp() throws Exception {
    panda = FakePanda.start(time.clock(), Duration.ofMinutes(30), Map.of("prod", "production"), "admin", 0);
    closeables.add(panda);
    agent = pki.connect(net, "agent-1@test/vm", Role.AGENT);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A job-manager replica with its own PanDA source, as a separate process would have. */
  private InMemoryNetwork.Endpoint replica(String resource) throws Exception {
    PandaJobSource source = PandaJobSource.open(PandaConfig.from(Settings.of(Map.of("panda.url", panda.url().toString(),
        "panda.token", "prod", "panda.release-dir", "/cvmfs/release", "panda.attempts", "2",
        "panda.backoff-min", "20ms", "panda.timeout", "2s", "panda.update-interval", "10m"))), time.clock());
    var config = new JobManagerConfig(SERVICE.value(), JobManagerConfig.Dispatch.HANDSHAKE, Duration.ofSeconds(30),
        Duration.ofSeconds(5), Duration.ofHours(1), dir.resolve("queue"), 3, List.of("storage@test"),
        Duration.ofSeconds(2), dir.resolve("ticket.key"), JobManagerConfig.Prefetching.DEFAULTS, 16);
    InMemoryNetwork.Endpoint bus = pki.connect(net, SERVICE.value() + "/" + resource, Role.JOB_MANAGER);
    JobManager jm = new JobManager(config, bus, source, time);
    jm.start();
    closeables.add(source);
    closeables.add(jm);
    return bus;
  }

  /**
   * Sends {@code r} and waits for its answer, which a job manager may send from another thread (its
   * upstream and hand-over threads), for up to 5 s of real time; then lets the request time out.
   */
  private Response call(InMemoryNetwork.Endpoint from, Address to, Request r) throws Exception {
    CompletableFuture<Response> f = from.request(to, r, Duration.ofSeconds(3));
    try {
      return f.get(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      time.advance(Duration.ofSeconds(3));
      return f.get();
    }
  }

  private Instant now() {
    return time.clock().instant();
  }

  private Response claim() throws Exception {
    Response have = call(agent, SERVICE, new WantGetJob(MessageIds.next(), now(), "agent-1", PandaJobSourceTest.SLOT));
    assertThat(have.reply()).isInstanceOf(HaveGetJob.class);
    Response run = call(agent, have.from(), new GetJob(MessageIds.next(), now(), "agent-1", PandaJobSourceTest.SLOT));
    assertThat(run.reply()).isInstanceOf(RunJob.class);
    return run;
  }

  private Heartbeat heartbeat(RunJob run) {
    return new Heartbeat(MessageIds.next(), now(), "agent-1", run.job().jobId(), run.lease().ref(), JobState.RUNNING,
        Usage.none(), run.ticket().job());
  }

  private JobView job(RunJob run) {
    return panda.list().stream().filter(j -> j.pandaId() == Long.parseLong(run.job().jobId())).findFirst().orElseThrow();
  }

  @Test
  void issue7_aPandaJobWhoseJobManagerWentAwayIsFinishedOnceByAnotherReplica() throws Exception {
    InMemoryNetwork.Endpoint first = replica("jm-1");
    panda.submit(List.of(evgen.job(1)));
    Response claimed = claim();
    RunJob run = (RunJob) claimed.reply();
    assertThat(claimed.from()).isEqualTo(first.self());
    assertThat(call(agent, first.self(), heartbeat(run)).reply()).isInstanceOf(Ack.class);
    // The agent cannot read the PanDA job's fields in its ticket.
    assertThat(run.ticket().job().data()).doesNotContain("Generate_tf").doesNotContain(run.job().jobId());

    replica("jm-2");
    first.close();
    // The agent keeps sending to the replica it knows; the network hands it to the account's other one.
    assertThat(call(agent, first.self(), heartbeat(run)).reply()).isInstanceOf(Ack.class);
    assertThat(job(run).state()).isEqualTo("running");

    OutputFile evnt = new OutputFile(run.job().outputs().get(0), 4321, "0badcafe", "0123456789abcdef0123456789abcdef");
    InMemoryNetwork.Endpoint storage = pki.connect(net, "storage@test/sa-1", Role.STORAGE);
    RegisterOutputs register = new RegisterOutputs(MessageIds.next(), now(), "agent-1", run.job().jobId(),
        run.lease().ref(), List.of(new StoredFile(evnt, "file:///se/panda/1/EVNT"), new StoredFile(log(run), "file:///se/log")),
        run.ticket().job());
    assertThat(call(storage, SERVICE, register).reply()).isInstanceOf(Ack.class);
    JobDone done = new JobDone(MessageIds.next(), now(), "agent-1", run.job().jobId(), run.lease().ref(),
        Outcome.SUCCEEDED, FailureKind.NONE, 0, "", Usage.none(), PayloadReport.UNKNOWN, List.of(evnt, log(run)), run.ticket().job());
    assertThat(call(agent, first.self(), done).reply()).isInstanceOf(Ack.class);

    JobView finished = job(run);
    assertThat(finished.state()).isEqualTo("finished");
    assertThat(finished.outputs()).extracting(PandaOutput::surl).containsExactlyInAnyOrder("file:///se/panda/1/EVNT", "file:///se/log");
    assertThat(finished.history().stream().filter(h -> h.split(" ")[1].equals("finished:"))).hasSize(1);
  }

  @Test
  void issue7_anAgentWhoseLeaseExpiredAtAReplicaThatWentAwayIsFencedByTheNextOne() throws Exception {
    InMemoryNetwork.Endpoint first = replica("jm-1");
    panda.submit(List.of(evgen.job(2)));
    RunJob run = (RunJob) claim().reply();
    // The agent falls silent past its lease; the replica that leased the job reports it failed, then goes.
    // The sweep runs on the replica's upstream threads.
    time.advance(Duration.ofSeconds(40));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> job(run).state().equals("failed"));
    replica("jm-2");
    first.close();

    assertThat(call(agent, first.self(), heartbeat(run)).reply()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
    JobDone late = new JobDone(MessageIds.next(), now(), "agent-1", run.job().jobId(), run.lease().ref(),
        Outcome.FAILED, FailureKind.PAYLOAD, 1, "late", Usage.none(), PayloadReport.UNKNOWN, List.of(), run.ticket().job());
    assertThat(call(agent, first.self(), late).reply()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
    assertThat(job(run).history().stream().filter(h -> h.split(" ")[1].equals("failed:"))).hasSize(1);
  }

  @Test
  void issue7_aJobTicketDoesNotOpenForAnotherJobOrAgent() throws Exception {
    replica("jm-1");
    panda.submit(List.of(evgen.job(3), evgen.job(4)));
    RunJob one = (RunJob) claim().reply();
    RunJob two = (RunJob) claim().reply();
    JobTicket wrong = one.ticket().job();
    Heartbeat swapped = new Heartbeat(MessageIds.next(), now(), "agent-1", two.job().jobId(), two.lease().ref(),
        JobState.RUNNING, Usage.none(), wrong);
    assertThat(call(agent, SERVICE, swapped).reply()).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
      assertThat(e.message()).contains("job ticket");
    });
    JobTicket altered = new JobTicket(wrong.keyId(), wrong.nonce(),
        (wrong.data().startsWith("A") ? "B" : "A") + wrong.data().substring(1));
    assertThat(call(agent, SERVICE, new Heartbeat(MessageIds.next(), now(), "agent-1", one.job().jobId(),
        one.lease().ref(), JobState.RUNNING, Usage.none(), altered)).reply())
        .isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
  }

  private static OutputFile log(RunJob run) {
    return new OutputFile(run.job().log().file(), 99, "00000001", "0123456789abcdef0123456789abcdef");
  }
}
