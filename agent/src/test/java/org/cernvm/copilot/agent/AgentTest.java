package org.cernvm.copilot.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.FileCheck;
import org.cernvm.copilot.protocol.InputFile;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.Keytool;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent running real payload processes against a real job manager over the in-memory bus. */
class AgentTest {
  @TempDir Path dir;
  private ScheduledExecutorService timers;
  private ExecutorService workers;
  private Scheduler scheduler;
  private InMemoryNetwork net;
  private final TestPki pki = new TestPki(java.time.Clock.systemUTC());
  private GenericQueue queue;
  private JobManager jobManager;
  private InMemoryNetwork.Endpoint jobManagerBus;
  private InMemoryNetwork.Endpoint agentBus;
  private Agent agent;
  private InMemoryNetwork.Endpoint storageBus;
  private StorageAdapter storage;

  @BeforeEach
  void setUp() throws Exception {
    timers = Executors.newSingleThreadScheduledExecutor();
    workers = Executors.newCachedThreadPool();
    scheduler = Scheduler.system(timers);
    net = new InMemoryNetwork(scheduler, workers);
    queue = GenericQueue.open(dir.resolve("queue"), scheduler.clock(), 3);
    // On real time, a lease far longer than any job here and than the pauses a loaded machine makes: its
    // expiry is no part of these tests, and a heartbeat late by seconds must not hand the job out again.
    jobManagerBus = pki.connect(net, "jobmanager@test/jm-1", Role.JOB_MANAGER);
    jobManager = new JobManager(jobManagerConfig("15s"), jobManagerBus, queue, scheduler);
    jobManager.start();
    startStorage(null, 0);
  }

  private void startStorage(String publicUrl, int port, String... extra) throws Exception {
    if (storage != null) {
      storage.close();
      storageBus.close();
    }
    Map<String, String> settings = new HashMap<>(Map.of(
        "storage.port", Integer.toString(port),
        "storage.root", dir.resolve("se").toString(),
        "storage.grant-key-file", dir.resolve("grant.key").toString()));
    if (publicUrl != null) {
      settings.put("storage.public-url", publicUrl);
    }
    for (int i = 0; i < extra.length; i += 2) {
      settings.put(extra[i], extra[i + 1]);
    }
    storageBus = pki.connect(net, "storage@test/sa-" + port, Role.STORAGE);
    storage = StorageAdapter.start(StorageConfig.from(Settings.of(settings), "test"), storageBus,
        StorageBackend.filesystem(dir.resolve("se")), scheduler.clock());
  }

  private static JobManagerConfig jobManagerConfig(String lease) {
    return JobManagerConfig.from(Settings.of(Map.of("job-manager.service", "jobmanager@test", "job-manager.lease",
        lease, "job-manager.sweep-interval", "500ms")), "test");
  }

  private void startAgent(int cores, String... extra) {
    agentBus = pki.connect(net, "agent-1@test/vm", Role.AGENT);
    agent = agent(agentBus, scheduler, cores, extra);
    agent.start();
  }

  private Agent agent(InMemoryNetwork.Endpoint bus, Scheduler scheduler, int cores, String... extra) {
    Map<String, String> settings = new HashMap<>(Map.of(
        "agent.cores", Integer.toString(cores),
        "agent.work-dir", dir.resolve("work").toString(),
        "agent.idle-backoff-min", "100ms",
        "agent.idle-backoff-max", "300ms",
        "agent.request-timeout", "1s",
        "agent.kill-grace", "1s",
        "agent.sample-interval", "100ms",
        "agent.upload-backoff-min", "200ms"));
    for (int i = 0; i < extra.length; i += 2) {
      settings.put(extra[i], extra[i + 1]);
    }
    AgentConfig config = AgentConfig.from(Settings.of(settings), "agent-1", "test");
    return new Agent(config, bus, scheduler, workers);
  }

  @AfterEach
  void tearDown() {
    if (agent != null) {
      agent.close();
    }
    jobManager.close();
    storage.close();
    workers.shutdownNow();
    timers.shutdownNow();
  }

  private QueuedJob awaitEnd(String id) throws Exception {
    await().atMost(Duration.ofSeconds(30)).until(() -> queue.get(id).orElseThrow().status().isTerminal());
    return queue.get(id).orElseThrow();
  }

  /** The names in a gzip-compressed tar, as the log tarballs are. */
  static List<String> tarEntries(Path tarball) throws Exception {
    List<String> names = new java.util.ArrayList<>();
    try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        new java.util.zip.GZIPInputStream(Files.newInputStream(tarball)))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
      }
    }
    return names;
  }

  private Path workDirOf(QueuedJob job) {
    return dir.resolve("work").resolve(job.agentId()).resolve(job.jobId() + "." + job.epoch());
  }

  /** The generic queue, with job ends held until the test lets them through, as a slow upstream would. */
  private static final class HeldEnds implements org.cernvm.copilot.jobmanager.JobSource {
    private final GenericQueue queue;
    final java.util.concurrent.CountDownLatch open = new java.util.concurrent.CountDownLatch(1);

    HeldEnds(GenericQueue queue) {
      this.queue = queue;
    }

    @Override
    public String name() {
      return queue.name();
    }

    @Override
    public boolean prefetches() {
      return false;
    }

    @Override
    public boolean hasWorkFor(org.cernvm.copilot.protocol.Resources r)
        throws org.cernvm.copilot.jobmanager.JobSourceException {
      return queue.hasWorkFor(r);
    }

    @Override
    public java.util.Optional<org.cernvm.copilot.jobmanager.Claim> claim(String agentId,
        org.cernvm.copilot.protocol.Resources r, Duration leaseTime)
        throws org.cernvm.copilot.jobmanager.JobSourceException {
      return queue.claim(agentId, r, leaseTime);
    }

    @Override
    public void assign(org.cernvm.copilot.jobmanager.HandOver h) throws org.cernvm.copilot.jobmanager.JobSourceException {
      queue.assign(h);
    }

    @Override
    public java.util.Optional<String> heartbeat(org.cernvm.copilot.protocol.Heartbeat hb, Duration leaseTime)
        throws org.cernvm.copilot.jobmanager.JobSourceException {
      return queue.heartbeat(hb, leaseTime);
    }

    @Override
    public void finish(org.cernvm.copilot.protocol.JobDone done) throws org.cernvm.copilot.jobmanager.JobSourceException {
      try {
        open.await(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      queue.finish(done);
    }

    @Override
    public void registerOutputs(org.cernvm.copilot.protocol.RegisterOutputs r)
        throws org.cernvm.copilot.jobmanager.JobSourceException {
      queue.registerOutputs(r);
    }

    @Override
    public void release(String jobId, org.cernvm.copilot.protocol.LeaseRef lease, String reason)
        throws org.cernvm.copilot.jobmanager.JobSourceException {
      queue.release(jobId, lease, reason);
    }

    @Override
    public void kill(String jobId, String reason) throws org.cernvm.copilot.jobmanager.JobSourceException {
      queue.kill(jobId, reason);
    }

    @Override
    public int expireLeases() throws org.cernvm.copilot.jobmanager.JobSourceException {
      return queue.expireLeases();
    }
  }

  @Test
  void issue18_aSlotTakesItsNextJobWhileTheEndOfItsLastIsStillBeingReported() throws Exception {
    jobManager.close();
    jobManagerBus.close();
    HeldEnds held = new HeldEnds(queue);
    jobManager = new JobManager(jobManagerConfig("15s"), pki.connect(net, "jobmanager@test/jm-2", Role.JOB_MANAGER),
        held, scheduler);
    jobManager.start();
    String first = queue.submit(NewJob.of("true"));
    String second = queue.submit(NewJob.of("true"));
    startAgent(1);
    // One slot: the second job is leased while the first one's jobDone waits for its acknowledgement.
    await().atMost(Duration.ofSeconds(30)).until(() -> queue.get(second).orElseThrow().status() != JobStatus.QUEUED);
    assertThat(queue.get(first).orElseThrow().status()).isEqualTo(JobStatus.LEASED);
    held.open.countDown();
    assertThat(awaitEnd(first).status()).isEqualTo(JobStatus.DONE);
    assertThat(awaitEnd(second).status()).isEqualTo(JobStatus.DONE);
  }

  @Test
  void runsRealProcessesAndReportsOutputsWithChecksums() throws Exception {
    startAgent(2);
    String a = queue.submit(NewJob.of("sh", "-c", "echo $COPILOT_JOB_ID > out.txt; head -c 100000 /dev/zero >> out.txt")
        .withOutputs("out.txt"));
    String b = queue.submit(NewJob.of("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo $i > out.txt")
        .withOutputs("out.txt"));
    for (String id : List.of(a, b)) {
      QueuedJob job = awaitEnd(id);
      assertThat(job.status()).isEqualTo(JobStatus.DONE);
      assertThat(job.exitCode()).isZero();
      Path out = workDirOf(job).resolve("out.txt");
      Path log = workDirOf(job).resolve("log." + id + ".tgz");
      assertThat(job.outputs()).containsExactly(Checksums.of(out), Checksums.of(log));
      Path stored = dir.resolve("se/generic").resolve(id).resolve("1/out.txt");
      assertThat(job.stored()).hasSize(2).anySatisfy(s -> {
        assertThat(s.file()).isEqualTo(Checksums.of(out));
        assertThat(s.location()).isEqualTo(stored.toUri().toString());
      });
      assertThat(dir.resolve("se/generic").resolve(id).resolve("1").resolve(log.getFileName())).hasSameBinaryContentAs(log);
      assertThat(tarEntries(log)).contains("log." + id + "/stdout.txt", "log." + id + "/stderr.txt",
          "log." + id + "/copilot-agent.log").doesNotContain("log." + id + "/out.txt");
      assertThat(Files.readAllBytes(stored)).isEqualTo(Files.readAllBytes(out));
      assertThat(Files.readString(workDirOf(job).resolve("stdout.txt"))).isEmpty();
    }
    assertThat(Files.readString(workDirOf(queue.get(a).orElseThrow()).resolve("out.txt"))).startsWith(a);
    assertThat(queue.get(b).orElseThrow().usage().cpuSeconds()).isGreaterThan(0.05);
  }

  @Test
  void issue16_anUploadTheStorageAdapterCutsOffAsTooSlowIsUploadedAgain() throws Exception {
    int port = storage.uploadUrl().getPort();
    // The first upload stalls after 300 kB; the storage adapter answers 408 at its idle timeout.
    try (FlakyProxy proxy = new FlakyProxy(port, 300_000, 1, true)) {
      startStorage("http://127.0.0.1:" + proxy.port(), port, "storage.idle-timeout", "1s");
      startAgent(1);
      String id = queue.submit(NewJob.of("sh", "-c", "head -c 2000000 /dev/urandom > big.bin").withOutputs("big.bin"));
      QueuedJob job = awaitEnd(id);
      assertThat(job.status()).as(job.diagnostic()).isEqualTo(JobStatus.DONE);
      assertThat(proxy.connections()).isGreaterThanOrEqualTo(2);
      Path stored = dir.resolve("se/generic").resolve(id).resolve("1/big.bin");
      assertThat(Files.readAllBytes(stored)).isEqualTo(Files.readAllBytes(workDirOf(job).resolve("big.bin")));
    }
  }

  @Test
  void issue3_anUploadBrokenOffMidwayIsRetriedAndCompletes() throws Exception {
    int port = storage.uploadUrl().getPort();
    try (FlakyProxy proxy = new FlakyProxy(port, 300_000, 2)) {
      startStorage("http://127.0.0.1:" + proxy.port(), port);
      startAgent(1);
      String id = queue.submit(NewJob.of("sh", "-c", "head -c 2000000 /dev/urandom > big.bin").withOutputs("big.bin"));
      QueuedJob job = awaitEnd(id);
      assertThat(job.status()).as(job.diagnostic()).isEqualTo(JobStatus.DONE);
      Path stored = dir.resolve("se/generic").resolve(id).resolve("1/big.bin");
      assertThat(Files.readAllBytes(stored)).isEqualTo(Files.readAllBytes(workDirOf(job).resolve("big.bin")));
      assertThat(proxy.connections()).isGreaterThanOrEqualTo(3);
      // The output and the job's log tarball, each stored once; nothing left of the broken uploads.
      assertThat(storage.stats().verified()).isEqualTo(2);
      try (var files = Files.walk(dir.resolve("se"))) {
        assertThat(files.filter(Files::isRegularFile)).containsExactlyInAnyOrder(stored,
            stored.resolveSibling("log." + id + ".tgz"));
      }
    }
  }

  @Test
  void issue3_uploadsGoOverHttpsToAnEndpointWhoseCertificateTheAgentTrusts() throws Exception {
    Path ks = Keytool.pair(dir, "storage", "localhost");
    Path cert = dir.resolve("storage.pem");
    startStorage(null, 0, "storage.tls-keystore", ks.toString(), "storage.tls-keystore-password", Keytool.PASSWORD);
    assertThat(storage.uploadUrl().getScheme()).isEqualTo("https");

    // A client that does not trust the certificate is refused at the handshake.
    HttpClient untrusting = HttpClient.newHttpClient();
    assertThatThrownBy(() -> untrusting.send(HttpRequest.newBuilder(storage.uploadUrl()).build(),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class);

    startAgent(1, "agent.storage-trust", cert.toString());
    String id = queue.submit(NewJob.of("sh", "-c", "echo secure > out.txt").withOutputs("out.txt"));
    QueuedJob job = awaitEnd(id);
    assertThat(job.status()).as(job.diagnostic()).isEqualTo(JobStatus.DONE);
    assertThat(dir.resolve("se/generic").resolve(id).resolve("1/out.txt")).hasContent("secure\n");
  }

  @Test
  void issue3_whenNoStorageAnswersTheJobFailsAfterTheStageOutGiveUp() throws Exception {
    startAgent(1, "agent.storage", "nobody@test", "agent.stage-out-give-up", "2s");
    String id = queue.submit(NewJob.of("sh", "-c", "echo x > out.txt").withOutputs("out.txt"));
    QueuedJob job = awaitEnd(id);
    assertThat(job.status()).isEqualTo(JobStatus.FAILED);
    assertThat(job.diagnostic()).startsWith("stage-out failed: no upload grants from nobody@test");
    assertThat(job.stored()).isEmpty();
  }

  @Test
  void aNonZeroExitOrAMissingOutputFailsTheJob() throws Exception {
    startAgent(1);
    String bad = queue.submit(NewJob.of("sh", "-c", "echo oops >&2; exit 3"));
    String missing = queue.submit(NewJob.of("true").withOutputs("result.root"));
    QueuedJob b = awaitEnd(bad);
    assertThat(b.status()).isEqualTo(JobStatus.FAILED);
    assertThat(b.exitCode()).isEqualTo(3);
    assertThat(b.diagnostic()).contains("exited with code 3");
    assertThat(Files.readString(workDirOf(b).resolve("stderr.txt"))).contains("oops");
    assertThat(b.failure()).isEqualTo(FailureKind.PAYLOAD);
    // A failed job's log tarball is stored too, and reported beside what the payload left.
    assertThat(b.stored()).singleElement().satisfies(f -> assertThat(f.file().name()).isEqualTo("log." + bad + ".tgz"));
    assertThat(tarEntries(workDirOf(b).resolve("log." + bad + ".tgz"))).contains("log." + bad + "/stderr.txt");
    QueuedJob m = awaitEnd(missing);
    assertThat(m.status()).isEqualTo(JobStatus.FAILED);
    assertThat(m.failure()).isEqualTo(FailureKind.MISSING_OUTPUT);
    assertThat(m.diagnostic()).contains("missing outputs: [result.root]");
  }

  @Test
  void inputsAreFetchedTriedAgainAndCheckedAgainstTheirSizeAndChecksums() throws Exception {
    Path source = Files.writeString(dir.resolve("events.txt"), "a HepMC3 file stands here\n");
    OutputFile facts = Checksums.of(source);
    List<FileCheck> right = List.of(FileCheck.size(facts.sizeBytes()), FileCheck.adler32(facts.adler32()),
        FileCheck.md5(facts.md5()));
    AtomicInteger served = new AtomicInteger();
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/flaky", x -> {
      byte[] body = served.incrementAndGet() == 1 ? new byte[0] : Files.readAllBytes(source);
      x.sendResponseHeaders(served.get() == 1 ? 503 : 200, body.length == 0 ? -1 : body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    http.createContext("/gone", x -> {
      x.sendResponseHeaders(404, -1);
      x.close();
    });
    http.start();
    try {
      startAgent(1);
      String base = "http://127.0.0.1:" + http.getAddress().getPort();
      String ok = queue.submit(NewJob.of("cat", "in.txt").withInputs(new InputFile("in.txt", base + "/flaky", right)));
      String corrupt = queue.submit(NewJob.of("true").withInputs(new InputFile("in.txt", source.toUri().toString(),
          List.of(FileCheck.size(facts.sizeBytes()), FileCheck.adler32("00000001")))));
      String gone = queue.submit(NewJob.of("true").withInputs(new InputFile("in.txt", base + "/gone", right)));
      String missing = queue.submit(NewJob.of("true").withInputs(
          new InputFile("in.txt", dir.resolve("nowhere").toUri().toString(), right)));
      String huge = queue.submit(NewJob.of("true").withInputs(
          new InputFile("in.txt", source.toUri().toString(), List.of(FileCheck.size(100_000_000_000_000_000L)))));

      QueuedJob done = awaitEnd(ok);
      assertThat(done.status()).as(done.diagnostic()).isEqualTo(JobStatus.DONE);
      assertThat(served).hasValue(2);
      assertThat(Files.readString(workDirOf(done).resolve("stdout.txt"))).isEqualTo("a HepMC3 file stands here\n");
      assertThat(awaitEnd(corrupt)).satisfies(j -> {
        assertThat(j.failure()).isEqualTo(FailureKind.STAGE_IN_ADLER32_MISMATCH);
        assertThat(j.diagnostic()).contains("ADLER32 is " + facts.adler32()).contains("3 attempts");
      });
      assertThat(awaitEnd(gone).failure()).isEqualTo(FailureKind.STAGE_IN_NOT_FOUND);
      assertThat(awaitEnd(missing).failure()).isEqualTo(FailureKind.STAGE_IN_NOT_FOUND);
      assertThat(awaitEnd(huge).failure()).isEqualTo(FailureKind.NO_LOCAL_SPACE);
      assertThat(queue.get(ok).orElseThrow().failure()).isEqualTo(FailureKind.NONE);
    } finally {
      http.stop(0);
    }
  }

  @Test
  void aSourceThatStallsMidBodyOrSendsMoreThanTheJobNamesFailsTheStageInInBoundedTime() throws Exception {
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/stall", x -> {
      x.sendResponseHeaders(200, 1000);
      x.getResponseBody().write(new byte[10]);
      x.getResponseBody().flush();
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      x.close();
    });
    http.createContext("/endless", x -> {
      x.sendResponseHeaders(200, 0);
      try {
        for (int i = 0; i < 1000; i++) {
          x.getResponseBody().write(new byte[1 << 16]);
        }
      } catch (IOException e) {
        // The agent stopped reading.
      }
      x.close();
    });
    http.setExecutor(Executors.newCachedThreadPool());
    http.start();
    try {
      // Stage-in timeouts are ten request timeouts: 3 s here.
      startAgent(2, "agent.request-timeout", "300ms");
      String base = "http://127.0.0.1:" + http.getAddress().getPort();
      String stalled = queue.submit(NewJob.of("true").withInputs(new InputFile("in.txt", base + "/stall")));
      String endless = queue.submit(NewJob.of("true").withInputs(new InputFile("in.txt", base + "/endless",
          List.of(FileCheck.size(100_000)))));
      QueuedJob s = awaitEnd(stalled);
      assertThat(s.failure()).as(s.diagnostic()).isEqualTo(FailureKind.STAGE_IN_TIMEOUT);
      QueuedJob e = awaitEnd(endless);
      assertThat(e.failure()).as(e.diagnostic()).isEqualTo(FailureKind.STAGE_IN_SIZE_MISMATCH);
      assertThat(Files.size(workDirOf(e).resolve("in.txt"))).isLessThanOrEqualTo(100_001 + (1 << 16));
    } finally {
      http.stop(0);
    }
  }

  @Test
  void theTtlKillsTheWholeProcessTree() throws Exception {
    startAgent(1);
    String id = queue.submit(NewJob.of("sh", "-c", "sleep 6017 & sleep 6018 & wait").withTtl(Duration.ofSeconds(2)));
    QueuedJob job = awaitEnd(id);
    assertThat(job.status()).isEqualTo(JobStatus.FAILED);
    assertThat(job.outcome()).isEqualTo(Outcome.TTL_EXCEEDED);
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.allProcesses()
        .noneMatch(p -> p.info().commandLine().orElse("").matches(".*sleep 601[78].*")));
  }

  @Test
  void aKillCommandArrivesWithTheNextHeartbeat() throws Exception {
    startAgent(1);
    String id = queue.submit(NewJob.of("sleep", "120"));
    await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(id).orElseThrow().status() == JobStatus.LEASED);
    queue.kill(id, "operator says no");
    QueuedJob job = awaitEnd(id);
    assertThat(job.status()).isEqualTo(JobStatus.KILLED);
    assertThat(job.diagnostic()).contains("operator says no");
  }

  @Test
  void payloadsKeepRunningAcrossADisconnectAndTheJobCompletesOnce() throws Exception {
    // On a fake clock: the lease, its heartbeats and the disconnect are timed by the test alone, so a loaded
    // machine cannot stretch the disconnect past the lease. The payload and the messages are real.
    ManualScheduler time = new ManualScheduler(java.time.Instant.now());
    InMemoryNetwork fakeNet = new InMemoryNetwork(time, workers);
    TestPki fakePki = new TestPki(time.clock());
    GenericQueue fakeQueue = GenericQueue.open(dir.resolve("fake-queue"), time.clock(), 3);
    InMemoryNetwork.Endpoint jmBus = fakePki.connect(fakeNet, "jobmanager@test/jm-1", Role.JOB_MANAGER);
    List<java.time.Instant> heartbeats = new java.util.concurrent.CopyOnWriteArrayList<>();
    jmBus.subscribe(in -> {
      if (in.message() instanceof org.cernvm.copilot.protocol.Heartbeat h) {
        heartbeats.add(h.sentAt());
      }
    });
    JobManager jm = new JobManager(jobManagerConfig("3s"), jmBus, fakeQueue, time);
    // The storage adapter the job's log tarball goes to, on the same fake network and clock.
    StorageAdapter fakeStorage = StorageAdapter.start(StorageConfig.from(Settings.of(Map.of("storage.port", "0",
        "storage.root", dir.resolve("fake-se").toString(), "storage.grant-key-file", dir.resolve("fake-grant.key")
            .toString())), "test"), fakePki.connect(fakeNet, "storage@test/sa-fake", Role.STORAGE),
        StorageBackend.filesystem(dir.resolve("fake-se")), time.clock());
    InMemoryNetwork.Endpoint bus = fakePki.connect(fakeNet, "agent-1@test/vm", Role.AGENT);
    Agent vm = agent(bus, time, 1);
    Path started = dir.resolve("started");
    Path go = dir.resolve("go");
    Path ran = dir.resolve("ran.log");
    try {
      jm.start();
      String id = fakeQueue.submit(NewJob.of("sh", "-c", "touch " + started + "; while [ ! -e " + go + " ]; do "
          + "sleep 0.05; done; echo ran >> " + ran));
      vm.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(started));
      java.time.Instant leased = time.clock().instant();
      java.time.Instant deadline = fakeQueue.get(id).orElseThrow().leaseDeadline();

      // Disconnected across the first heartbeat (due after a third of the lease), which fails.
      bus.setConnected(false);
      time.advance(Duration.ofMillis(1500));
      bus.setConnected(true);
      assertThat(fakeQueue.get(id).orElseThrow().leaseDeadline()).isEqualTo(deadline);

      // Reconnected, the next heartbeat renews the lease, which holds past its first deadline.
      time.advance(Duration.ofMillis(500));
      await().atMost(Duration.ofSeconds(30))
          .until(() -> fakeQueue.get(id).orElseThrow().leaseDeadline().isAfter(deadline));
      // The heartbeat due during the disconnect never arrived; the first to arrive was the next one.
      assertThat(heartbeats.get(0)).isEqualTo(leased.plusSeconds(2));
      time.advance(Duration.ofMillis(1500));
      assertThat(time.clock().instant()).isAfter(deadline);
      assertThat(fakeQueue.get(id).orElseThrow().status()).isEqualTo(JobStatus.LEASED);

      // The payload, running all along, ends now; the job completes once, in its first lease.
      Files.createFile(go);
      await().atMost(Duration.ofSeconds(30)).until(() -> fakeQueue.get(id).orElseThrow().status().isTerminal());
      QueuedJob job = fakeQueue.get(id).orElseThrow();
      assertThat(job.status()).isEqualTo(JobStatus.DONE);
      assertThat(job.epoch()).isEqualTo(1);
      assertThat(Files.readAllLines(ran)).containsExactly("ran");
    } finally {
      vm.close();
      jm.close();
      fakeStorage.close();
    }
  }

  @Test
  void drainLetsTheRunningJobFinishAndThenStops() throws Exception {
    startAgent(1);
    String id = queue.submit(NewJob.of("sleep", "1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(id).orElseThrow().status() == JobStatus.LEASED);
    agent.drain("test");
    String next = queue.submit(NewJob.of("true"));
    assertThat(agent.drained().get(20, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(new Shutdown(Shutdown.Reason.DRAINED, "test"));
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.DONE);
    assertThat(queue.get(next).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
  }

  @Test
  void issue8_aWholeNodeAgentRunsAMultiCoreJobThatPerCoreSlotsCannotTake() throws Exception {
    NewJob twoCores = new NewJob("sh", List.of("-c", "echo $COPILOT_CORES > " + dir.resolve("cores.txt")), Map.of(),
        List.of(), List.of(), Duration.ofMinutes(5), 2);
    String id = queue.submit(twoCores);
    startAgent(2);
    // Two one-core slots ask many times meanwhile, and none takes the two-core job.
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
        .until(() -> queue.get(id).orElseThrow().status() == JobStatus.QUEUED);
    agent.close();

    agentBus.close();
    startAgent(2, "agent.whole-node", "true");

    assertThat(awaitEnd(id).status()).isEqualTo(JobStatus.DONE);
    assertThat(Files.readString(dir.resolve("cores.txt")).strip()).isEqualTo("2");
  }

  @Test
  void issue8_anAgentOfferedNoWorkForTheIdleTimeStopsWithItsOwnExitCode() throws Exception {
    long t0 = System.nanoTime();
    startAgent(1, "agent.idle-shutdown", "1s");

    Shutdown why = agent.drained().get(10, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(why.reason()).isEqualTo(Shutdown.Reason.NO_WORK);
    assertThat(why.reason().exitCode()).isNotZero().isNotEqualTo(Shutdown.Reason.LIFETIME_OVER.exitCode());
    assertThat(why.detail()).contains("no work offered for PT1S");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(agent.jobsRun()).isZero();
  }

  @Test
  void issue8_aRunningJobIsNotIdlenessAndTheIdleTimeCountsFromItsEnd() throws Exception {
    String id = queue.submit(NewJob.of("sleep", "2"));
    long t0 = System.nanoTime();
    // Two slots: the second asks in vain all along while the first runs the job.
    startAgent(2, "agent.idle-shutdown", "1s");
    await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(id).orElseThrow().status() == JobStatus.LEASED);

    Shutdown why = agent.drained().get(20, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(why.reason()).isEqualTo(Shutdown.Reason.NO_WORK);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.DONE);
    assertThat(agent.jobsRun()).isEqualTo(1);
  }

  @Test
  void issue8_anAgentWhoseLifetimeIsOverStopsWithLifetimeOver() throws Exception {
    startAgent(1, "agent.lifetime", "1s", "agent.idle-shutdown", "never");

    Shutdown why = agent.drained().get(10, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(why.reason()).isEqualTo(Shutdown.Reason.LIFETIME_OVER);
    assertThat(why.reason().exitCode()).isEqualTo(4);
  }
}
