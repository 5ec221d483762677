package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobTickets;
import org.cernvm.copilot.jobmanager.TicketedJob;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseTicket;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.StoreJobOutputDir;
import org.cernvm.copilot.protocol.UploadGrant;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.WantStoreJobOutputDir;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.junit.jupiter.api.AfterEach;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.cernvm.copilot.metrics.Samples;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage adapter over a real HTTP endpoint, with a real job manager and generic queue behind the
 * in-memory bus: grants, verified uploads, registration, and every bad input the issue lists.
 */
class StorageAdapterTest {
  static final Resources SLOT = new Resources(1, 2048, 10_000, Duration.ofHours(24), "x86_64-linux", List.of());
  static final Address STORAGE = Address.of("storage@test");

  @TempDir Path dir;
  // The adapter's clock, which grants expire by; it starts at the real now so that messages stamped with it
  // fall within the replay window of the real clock the buses check them with.
  private final ManualScheduler grantClock = new ManualScheduler(java.time.Instant.now());
  private final TestPki pki = new TestPki(java.time.Clock.systemUTC());
  private final MessageSecurity jobManagerKeys = pki.security("jobmanager", Role.JOB_MANAGER);
  private ScheduledExecutorService timers;
  private ExecutorService workers;
  private InMemoryNetwork net;
  private GenericQueue queue;
  private JobManager jobManager;
  private StorageAdapter adapter;
  private InMemoryNetwork.Endpoint agent;
  private final HttpClient http = HttpClient.newHttpClient();
  /** The job ticket the last grant request presented, which uploads under its grants present too. */
  private JobTicket presented;
  private Path root;
  private final PrometheusRegistry registry = new PrometheusRegistry();

  @BeforeEach
  void setUp() throws Exception {
    timers = Executors.newSingleThreadScheduledExecutor();
    workers = Executors.newCachedThreadPool();
    Scheduler scheduler = Scheduler.system(timers);
    net = new InMemoryNetwork(scheduler, workers);
    queue = GenericQueue.open(dir.resolve("queue"), scheduler.clock(), 3);
    root = dir.resolve("se");
    StorageConfig config = StorageConfig.from(Settings.of(Map.of(
        "storage.service", "storage@test",
        "storage.job-managers", "jobmanager@test",
        "storage.port", "0",
        "storage.root", root.toString(),
        "storage.grant-key-file", dir.resolve("grant.key").toString(),
        "storage.grant-ttl", "1m",
        "storage.max-file-size", "1000000",
        "storage.register-timeout", "1s")), "test");
    adapter = StorageAdapter.start(config, pki.connect(net, "storage@test/sa-1", Role.STORAGE), StorageBackend.filesystem(root),
        grantClock.clock(), registry);
    agent = pki.connect(net, "agent-1@test/vm", Role.AGENT);
    // Messages are stamped with the adapter's clock: not before the buses started, which refuse older ones.
    grantClock.advance(Duration.between(grantClock.clock().instant(), java.time.Instant.now()));
  }

  private Path ticketKey() {
    return dir.resolve("ticket.key");
  }

  /** The job ticket a job manager of the test's group seals for {@code job}. */
  private JobTicket sealed(Job job) throws Exception {
    return sealed(job, "");
  }

  /** The job ticket for {@code job} with {@code upstream} as its source's fields. */
  private JobTicket sealed(Job job, String upstream) throws Exception {
    return JobTickets.load(ticketKey()).seal(new TicketedJob(job.claim().job(), "agent-1", job.claim().lease().ref(),
        upstream));
  }

  private void startJobManager() throws Exception {
    JobManagerConfig config = JobManagerConfig.from(Settings.of(Map.of("job-manager.service", "jobmanager@test",
        "job-manager.storage", "storage@test", "job-manager.ticket-key-file", ticketKey().toString())), "test");
    jobManager = new JobManager(config, pki.connect(net, "jobmanager@test/jm-1", Role.JOB_MANAGER), queue, Scheduler.system(timers));
    jobManager.start();
    // The adapter stamps its messages with its own clock: not before the job manager started, which refuses
    // older ones.
    grantClock.advance(Duration.between(grantClock.clock().instant(), java.time.Instant.now()));
  }

  @AfterEach
  void tearDown() {
    adapter.close();
    if (jobManager != null) {
      jobManager.close();
    }
    workers.shutdownNow();
    timers.shutdownNow();
  }

  /** A job with outputs a.txt and b.dat, leased to agent-1, and their content on the agent's disk. */
  private record Job(Claim claim, Path a, Path b, List<OutputFile> outputs) {}

  private Job leasedJob() throws Exception {
    queue.submit(NewJob.of("true").withOutputs("a.txt", "b.dat"));
    Claim claim = queue.claim("agent-1", SLOT, Duration.ofMinutes(5)).orElseThrow();
    Path work = Files.createDirectories(dir.resolve("work").resolve(claim.job().jobId()));
    Path a = Files.writeString(work.resolve("a.txt"), "Wikipedia");
    byte[] bytes = new byte[200_000];
    new java.util.Random(7).nextBytes(bytes);
    Path b = Files.write(work.resolve("b.dat"), bytes);
    return new Job(claim, a, b, List.of(org.cernvm.copilot.protocol.Checksums.of(a),
        org.cernvm.copilot.protocol.Checksums.of(b)));
  }

  private Reply ask(Job job, String agentId, String jobManagerService, List<OutputFile> files) throws Exception {
    return ask(job, agentId, jobManagerService, files, jobManagerKeys.ticket("jobmanager@test", "generic",
        job.claim().job().jobId(), "agent-1", job.claim().lease().ref(), sealed(job)));
  }

  private Reply ask(Job job, String agentId, String jobManagerService, List<OutputFile> files, LeaseTicket ticket)
      throws Exception {
    presented = ticket.job();
    return agent.request(STORAGE, new WantStoreJobOutputDir(MessageIds.next(), grantClock.clock().instant(), agentId,
        job.claim().job().jobId(), "generic", jobManagerService, job.claim().lease().ref(), files, ticket),
        Duration.ofSeconds(3)).get().reply();
  }

  /** The grant's token, opened with the agent's key. */
  private String token(UploadGrant g) throws Exception {
    return agent.security().unseal(g.token(), UploadGrant.PURPOSE);
  }

  private List<UploadGrant> grants(Job job) throws Exception {
    Reply reply = ask(job, "agent-1", "jobmanager@test", job.outputs());
    assertThat(reply).isInstanceOf(StoreJobOutputDir.class);
    return ((StoreJobOutputDir) reply).grants();
  }

  private HttpResponse<String> put(String url, String token, HttpRequest.BodyPublisher body) throws Exception {
    return put(url, token, presented == null ? null : presented.header(), body);
  }

  /** A {@code PUT} with the grant's {@code token} and the job ticket header {@code ticket}, each left out when null. */
  private HttpResponse<String> put(String url, String token, String ticket, HttpRequest.BodyPublisher body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).PUT(body);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (ticket != null) {
      b.header(UploadReceipt.TICKET_HEADER, ticket);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> put(UploadGrant g, Path file) throws Exception {
    return put(g.url(), token(g), HttpRequest.BodyPublishers.ofFile(file));
  }

  private static UploadReceipt receipt(HttpResponse<String> r) {
    return UploadReceipt.fromJson(r.body());
  }

  private long filesUnderRoot() throws IOException {
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void issue3_uploadsAreVerifiedStoredAndRegisteredOnceAllArrive() throws Exception {
    startJobManager();
    Job job = leasedJob();
    String id = job.claim().job().jobId();
    List<UploadGrant> grants = grants(job);
    assertThat(grants).extracting(UploadGrant::file).containsExactly("a.txt", "b.dat");
    assertThat(grants.get(1).maxBytes()).isEqualTo(200_000);
    assertThat(grants.get(0).url()).endsWith("/v1/outputs/generic/" + id + "/1/a.txt");

    HttpResponse<String> first = put(grants.get(0), job.a());
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(receipt(first).stored()).isTrue();
    assertThat(receipt(first).registered()).isFalse();
    assertThat(receipt(first).message()).contains("waiting for [b.dat]");
    assertThat(root.resolve("generic").resolve(id).resolve("1").resolve("a.txt")).hasContent("Wikipedia");

    HttpResponse<String> second = put(grants.get(1), job.b());
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(receipt(second).registered()).isTrue();
    assertThat(queue.get(id).orElseThrow().stored()).extracting(s -> s.file()).isEqualTo(job.outputs());
    assertThat(queue.get(id).orElseThrow().stored().get(1).location())
        .isEqualTo(root.resolve("generic/" + id + "/1/b.dat").toUri().toString());
    assertThat(Files.readAllBytes(root.resolve("generic/" + id + "/1/b.dat"))).isEqualTo(Files.readAllBytes(job.b()));

    JobDone done = new JobDone(MessageIds.next(), grantClock.clock().instant(), "agent-1", id, job.claim().lease().ref(),
        Outcome.SUCCEEDED, FailureKind.NONE, 0, "", Usage.none(), PayloadReport.UNKNOWN, job.outputs(), sealed(job));
    assertThat(agent.request(Address.of("jobmanager@test"), done, Duration.ofSeconds(3)).get().reply())
        .isInstanceOf(Ack.class);
    assertThat(queue.get(id).orElseThrow().status()).isEqualTo(JobStatus.DONE);

    // The same upload again changes nothing: same file, same registration, same job record.
    long version = queue.get(id).orElseThrow().version();
    assertThat(put(grants.get(1), job.b()).statusCode()).isEqualTo(201);
    assertThat(queue.get(id).orElseThrow().version()).isEqualTo(version);
    assertThat(filesUnderRoot()).isEqualTo(2);
    assertThat(adapter.stats().verified()).isEqualTo(3);
    assertThat(adapter.stats().rejected()).isZero();
    Samples metrics = Samples.of(registry);
    assertThat(metrics.value("copilot_storage_uploads_total{result=\"stored\",status=\"201\"}")).isEqualTo(3);
    assertThat(metrics.value("copilot_storage_stored_bytes_total"))
        .isEqualTo(Files.size(job.a()) + 2 * Files.size(job.b()));
    assertThat(metrics.value("copilot_storage_grants_total")).isEqualTo(2);
    assertThat(metrics.value("copilot_storage_registrations_total{result=\"registered\"}")).isEqualTo(2);
    assertThat(metrics.toString()).doesNotContain(id).doesNotContain("agent-1");
  }

  @Test
  void issue3_aChecksumMismatchIsRejectedWithNothingWritten() throws Exception {
    startJobManager();
    Job job = leasedJob();
    UploadGrant a = grants(job).get(0);
    HttpResponse<String> r = put(a.url(), token(a), HttpRequest.BodyPublishers.ofString("Wikipedie"));
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(receipt(r).message()).contains("adler32: declared 11e60398").contains("md5: declared")
        .contains("upload again");
    assertThat(filesUnderRoot()).isZero();
    assertThat(adapter.stats().rejected()).isEqualTo(1);
    assertThat(Samples.of(registry).value("copilot_storage_uploads_total{result=\"refused\",status=\"422\"}"))
        .isEqualTo(1);
    // The agent uploads again and this time the bytes are right.
    assertThat(put(a, job.a()).statusCode()).isEqualTo(201);
  }

  @Test
  void issue3_oversizeBodiesAreRefusedBeforeOrWhileStreaming() throws Exception {
    startJobManager();
    Job job = leasedJob();
    UploadGrant a = grants(job).get(0);
    HttpResponse<String> declared = put(a.url(), token(a), HttpRequest.BodyPublishers.ofString("Wikipedia, the free"));
    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(receipt(declared).message()).contains("exceeds the grant's maximum of 9");

    // Chunked: no length up front, so the limit stops it mid-stream.
    HttpResponse<String> chunked = put(a.url(), token(a), HttpRequest.BodyPublishers.ofInputStream(
        () -> new java.io.ByteArrayInputStream(new byte[50_000])));
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(filesUnderRoot()).isZero();

    Reply tooLarge = ask(job, "agent-1", "jobmanager@test",
        List.of(new OutputFile("a.txt", 2_000_000, "00000001", "d41d8cd98f00b204e9800998ecf8427e")));
    assertThat(tooLarge).isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
  }

  @Test
  void issue3_missingForgedExpiredAndForeignGrantsAreRefused() throws Exception {
    startJobManager();
    Job job = leasedJob();
    List<UploadGrant> grants = grants(job);
    UploadGrant a = grants.get(0);
    UploadGrant b = grants.get(1);

    assertThat(put(a.url(), null, HttpRequest.BodyPublishers.ofFile(job.a())).statusCode()).isEqualTo(401);
    String opened = token(a);
    String forged = opened.substring(0, opened.length() - 2) + (opened.endsWith("AA") ? "BB" : "AA");
    HttpResponse<String> f = put(a.url(), forged, HttpRequest.BodyPublishers.ofFile(job.a()));
    assertThat(f.statusCode()).isEqualTo(403);
    assertThat(receipt(f).message()).contains("signature is not valid");

    // A grant for a.txt does not allow b.dat, nor the same file of another job or epoch.
    HttpResponse<String> other = put(b.url(), token(a), HttpRequest.BodyPublishers.ofFile(job.b()));
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(receipt(other).message()).contains("the grant is for a.txt");
    String otherJob = a.url().replace("/" + job.claim().job().jobId() + "/", "/g999999/");
    assertThat(put(otherJob, token(a), HttpRequest.BodyPublishers.ofFile(job.a())).statusCode()).isEqualTo(403);
    String otherEpoch = a.url().replace("/1/a.txt", "/2/a.txt");
    assertThat(put(otherEpoch, token(a), HttpRequest.BodyPublishers.ofFile(job.a())).statusCode()).isEqualTo(403);

    // The job ticket the grant binds: none is a 401, a malformed one a 400, another job's (or another sealing
    // of this job's) a 403.
    assertThat(put(a.url(), token(a), null, HttpRequest.BodyPublishers.ofFile(job.a())).statusCode()).isEqualTo(401);
    assertThat(put(a.url(), token(a), "k not-base64!", HttpRequest.BodyPublishers.ofFile(job.a())).statusCode())
        .isEqualTo(400);
    HttpResponse<String> resealed = put(a.url(), token(a), sealed(job).header(), HttpRequest.BodyPublishers.ofFile(job.a()));
    assertThat(resealed.statusCode()).isEqualTo(403);
    assertThat(receipt(resealed).message()).contains("the job ticket is not the one the grant for a.txt was issued with");

    grantClock.advance(Duration.ofSeconds(61));
    HttpResponse<String> expired = put(a, job.a());
    assertThat(expired.statusCode()).isEqualTo(403);
    assertThat(receipt(expired).message()).contains("expired");
    assertThat(filesUnderRoot()).isZero();

    // Grants themselves: only for the sender's own agent id, and only for a served job manager.
    assertThat(ask(job, "agent-2", "jobmanager@test", job.outputs())).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    assertThat(ask(job, "agent-1", "evil@test", job.outputs())).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.message()).contains("does not store outputs for evil@test"));
  }

  @Test
  void issue3_pathTraversalInUploadPathsIsRefused() throws Exception {
    startJobManager();
    Job job = leasedJob();
    UploadGrant a = grants(job).get(0);
    String base = adapter.uploadUrl() + UploadReceipt.PATH_PREFIX;
    for (String path : List.of("generic/" + job.claim().job().jobId() + "/1/..%2F..%2F..%2Fescaped",
        "generic/..%2F..%2Fescaped/1/a.txt", "generic/x/1/a.txt/extra", "generic/x/one/a.txt")) {
      HttpResponse<String> r = put(base + path, token(a), HttpRequest.BodyPublishers.ofFile(job.a()));
      assertThat(r.statusCode()).as(path).isEqualTo(400);
    }
    assertThat(filesUnderRoot()).isZero();
    assertThat(Files.exists(dir.resolve("escaped"))).isFalse();
  }

  @Test
  void issue3_aTruncatedBodyLeavesNothingHalfWritten() throws Exception {
    startJobManager();
    Job job = leasedJob();
    UploadGrant b = grants(job).get(1);
    URI url = URI.create(b.url());
    try (Socket s = new Socket(url.getHost(), url.getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("PUT " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\nAuthorization: Bearer "
          + token(b) + "\r\n" + UploadReceipt.TICKET_HEADER + ": " + presented.header()
          + "\r\nContent-Length: 200000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(Files.readAllBytes(job.b()), 0, 120_000);
      out.flush();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> adapter.stats().rejected() == 1);
    assertThat(filesUnderRoot()).isZero();
    assertThat(put(b, job.b()).statusCode()).isEqualTo(201);
  }

  @Test
  void issue3_aRegistrationThatFailsIsRetriedWithPost() throws Exception {
    Job job = leasedJob();
    List<UploadGrant> grants = grants(job);
    assertThat(put(grants.get(0), job.a()).statusCode()).isEqualTo(201);
    // No job manager is up: the last upload is stored but cannot be registered.
    HttpResponse<String> last = put(grants.get(1), job.b());
    assertThat(last.statusCode()).isEqualTo(503);
    assertThat(receipt(last).stored()).isTrue();
    assertThat(receipt(last).registered()).isFalse();

    startJobManager();
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(grants.get(0).url()))
        .POST(HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + token(grants.get(0)))
        .header(UploadReceipt.TICKET_HEADER, presented.header()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(200);
    assertThat(receipt(post).registered()).isTrue();
    assertThat(queue.get(job.claim().job().jobId()).orElseThrow().stored()).hasSize(2);
  }

  @Test
  void issue17_aJobWhoseTicketIsLargeGetsSmallGrantsAndUploadsWithTheTicketOnceInAHeader() throws Exception {
    startJobManager();
    Job job = leasedJob();
    // A PanDA merge job's fields with 2,500 inputs: its ticket runs to over 100 KiB, far past Jetty's default
    // 8 KiB of headers; a grant per file each holding it would not fit in one message.
    String upstream = "inFiles=" + "EVNT.47000001._000001.pool.root.1,".repeat(2500);
    Reply reply = ask(job, "agent-1", "jobmanager@test", job.outputs(), jobManagerKeys.ticket("jobmanager@test",
        "generic", job.claim().job().jobId(), "agent-1", job.claim().lease().ref(), sealed(job, upstream)));
    assertThat(reply).isInstanceOf(StoreJobOutputDir.class);
    List<UploadGrant> grants = ((StoreJobOutputDir) reply).grants();
    assertThat(presented.header().length()).isGreaterThan(100_000);
    assertThat(token(grants.get(0)).length()).isLessThan(2000);
    assertThat(put(grants.get(0), job.a()).statusCode()).isEqualTo(201);
    HttpResponse<String> last = put(grants.get(1), job.b());
    assertThat(last.statusCode()).isEqualTo(201);
    assertThat(receipt(last).registered()).isTrue();
  }

  @Test
  void issue6_grantsNeedTheSendersLeaseTicketFromAJobManagerAndOnlyTheSenderCanOpenThem() throws Exception {
    startJobManager();
    Job job = leasedJob();
    String id = job.claim().job().jobId();
    LeaseTicket byAgent = agent.security().ticket("jobmanager@test", "generic", id, "agent-1", job.claim().lease().ref(),
        sealed(job));
    assertThat(ask(job, "agent-1", "jobmanager@test", job.outputs(), byAgent))
        .isInstanceOfSatisfying(ErrorReply.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
          assertThat(e.message()).contains("not a job manager of jobmanager@test");
        });
    LeaseTicket forAnother = jobManagerKeys.ticket("jobmanager@test", "generic", id, "agent-2", job.claim().lease().ref(),
        sealed(job));
    assertThat(ask(job, "agent-1", "jobmanager@test", job.outputs(), forAnother))
        .isInstanceOfSatisfying(ErrorReply.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
          assertThat(e.message()).contains("of agent agent-2");
        });
    LeaseTicket otherJob = jobManagerKeys.ticket("jobmanager@test", "generic", "g999999", "agent-1",
        job.claim().lease().ref(), sealed(job));
    assertThat(ask(job, "agent-1", "jobmanager@test", job.outputs(), otherJob))
        .isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));

    UploadGrant a = grants(job).get(0);
    assertThat(a.token().toString()).doesNotContain(token(a));
    assertThatThrownBy(() -> pki.security("agent-2", Role.AGENT).unseal(a.token(), UploadGrant.PURPOSE))
        .isInstanceOf(org.cernvm.copilot.protocol.security.MessageRejectedException.class);
    assertThat(filesUnderRoot()).isZero();
  }
}
