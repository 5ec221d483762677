package org.cernvm.copilot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.JobTickets;
import org.cernvm.copilot.jobmanager.TicketedJob;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.StoreJobOutputDir;
import org.cernvm.copilot.protocol.UploadGrant;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.cernvm.copilot.protocol.WantStoreJobOutputDir;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upload endpoint against hostile clients on raw sockets: bodies that trickle, bodies declared and never
 * sent, refused bodies the client sends anyway, and an agent that opens more uploads than it may. Each test
 * checks that the attack is cut off and that a legitimate upload still goes through meanwhile; the margins
 * are seconds, not milliseconds, so that a loaded machine does not fail them.
 */
class HostileClientsTest {
  private static final Address STORAGE = Address.of("storage@test");
  private static final int CROWD = 70;
  /** How long a legitimate upload may take while the crowd is connected; it takes milliseconds when unhindered. */
  private static final Duration PROMPTLY = Duration.ofSeconds(8);

  @TempDir Path dir;
  private final TestPki pki = new TestPki(java.time.Clock.systemUTC());
  private final MessageSecurity jobManagerKeys = pki.security("jobmanager", Role.JOB_MANAGER);
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Socket> sockets = new ArrayList<>();
  private ScheduledExecutorService timers;
  private ExecutorService workers;
  private InMemoryNetwork net;
  private GenericQueue queue;
  private StorageAdapter adapter;
  private InMemoryNetwork.Endpoint agent;
  private Path root;

  @BeforeEach
  void setUp() throws Exception {
    timers = Executors.newScheduledThreadPool(2);
    workers = Executors.newCachedThreadPool();
    Scheduler scheduler = Scheduler.system(timers);
    net = new InMemoryNetwork(scheduler, workers);
    queue = GenericQueue.open(dir.resolve("queue"), scheduler.clock(), 3);
    root = dir.resolve("se");
    agent = pki.connect(net, "agent-1@test/vm", Role.AGENT);
  }

  private void start(Map<String, String> limits) throws Exception {
    Map<String, String> settings = new HashMap<>(Map.of(
        "storage.service", "storage@test",
        "storage.job-managers", "jobmanager@test",
        "storage.port", "0",
        "storage.root", root.toString(),
        "storage.grant-key-file", dir.resolve("grant.key").toString(),
        "storage.max-file-size", "1000000",
        "storage.register-timeout", "1s",
        // Longer than any test: a client is never cut off by the idle timeout here, only by the limits under test.
        "storage.idle-timeout", "60s"));
    settings.putAll(limits);
    adapter = StorageAdapter.start(StorageConfig.from(Settings.of(settings), "test"),
        pki.connect(net, "storage@test/sa-1", Role.STORAGE), StorageBackend.filesystem(root),
        java.time.Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // Closing is all that is wanted.
      }
    }
    if (adapter != null) {
      adapter.close();
    }
    workers.shutdownNow();
    timers.shutdownNow();
  }

  /** A job of agent-1 with outputs a.txt (9 bytes) and b.dat (200 000 bytes), and their grants. */
  private record Job(Path a, Path b, UploadGrant grantA, String tokenA, UploadGrant grantB, String tokenB,
      String ticket) {
    /** The job ticket's header line, as a raw request sends it. */
    String ticketLine() {
      return UploadReceipt.TICKET_HEADER + ": " + ticket + "\r\n";
    }
  }

  private Job leasedJob() throws Exception {
    queue.submit(NewJob.of("true").withOutputs("a.txt", "b.dat"));
    Claim claim = queue.claim("agent-1", StorageAdapterTest.SLOT, Duration.ofMinutes(5)).orElseThrow();
    Path work = Files.createDirectories(dir.resolve("work").resolve(claim.job().jobId()));
    Path a = Files.writeString(work.resolve("a.txt"), "Wikipedia");
    byte[] bytes = new byte[200_000];
    new java.util.Random(7).nextBytes(bytes);
    Path b = Files.write(work.resolve("b.dat"), bytes);
    List<OutputFile> outputs = List.of(Checksums.of(a), Checksums.of(b));
    var sealed = JobTickets.load(dir.resolve("ticket.key"))
        .seal(new TicketedJob(claim.job(), "agent-1", claim.lease().ref(), ""));
    var ticket = jobManagerKeys.ticket("jobmanager@test", "generic", claim.job().jobId(), "agent-1",
        claim.lease().ref(), sealed);
    Reply reply = agent.request(STORAGE, new WantStoreJobOutputDir(MessageIds.next(), Instant.now(), "agent-1",
        claim.job().jobId(), "generic", "jobmanager@test", claim.lease().ref(), outputs, ticket),
        Duration.ofSeconds(3)).get().reply();
    assertThat(reply).isInstanceOf(StoreJobOutputDir.class);
    List<UploadGrant> grants = ((StoreJobOutputDir) reply).grants();
    return new Job(a, b, grants.get(0), agent.security().unseal(grants.get(0).token(), UploadGrant.PURPOSE),
        grants.get(1), agent.security().unseal(grants.get(1).token(), UploadGrant.PURPOSE), sealed.header());
  }

  /** A legitimate upload of a.txt, which must be stored within {@link #PROMPTLY}. */
  private void uploadsPromptly(Job job) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(job.grantA().url()))
        .PUT(HttpRequest.BodyPublishers.ofFile(job.a())).header("Authorization", "Bearer " + job.tokenA())
        .header(UploadReceipt.TICKET_HEADER, job.ticket())
        .timeout(PROMPTLY).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(UploadReceipt.fromJson(r.body()).stored()).isTrue();
  }

  private long filesUnderRoot() throws IOException {
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  /** A connection to the upload endpoint that writes the request line and {@code headers}, and nothing more. */
  private Socket request(String url, String headers) throws IOException {
    URI u = URI.create(url);
    Socket s = new Socket(u.getHost(), u.getPort());
    sockets.add(s);
    s.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
    s.getOutputStream().write(("PUT " + u.getRawPath() + " HTTP/1.1\r\nHost: " + u.getAuthority() + "\r\n" + headers
        + "\r\n").getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  /** The status line and headers of the next response on {@code s}, lower-cased. */
  private static String head(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("the connection closed before a complete response head: " + b);
      }
      b.write(c);
      matched = (c == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (c == '\r' ? 1 : 0);
    }
    return b.toString(StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
  }

  private static int status(String head) {
    return Integer.parseInt(head.substring(9, 12));
  }

  private static String body(Socket s, String head) throws IOException {
    int at = head.indexOf("content-length: ");
    int n = Integer.parseInt(head.substring(at + 16, head.indexOf('\r', at)).trim());
    return new String(s.getInputStream().readNBytes(n), StandardCharsets.UTF_8);
  }

  /** Whether the server has closed its side: the next read sees the end of the stream (or a reset) in time. */
  private static boolean closedByServer(Socket s) throws IOException {
    try {
      InputStream in = s.getInputStream();
      while (in.read() >= 0) {
        // Whatever is left of a response body before the end.
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  /** Writes one byte to each connection every {@code period}, as a slow-loris client does, until the test ends. */
  private void trickle(List<Socket> connections, Duration period) {
    timers.scheduleAtFixedRate(() -> {
      for (Socket s : connections) {
        try {
          OutputStream out = s.getOutputStream();
          out.write('x');
          out.flush();
        } catch (IOException e) {
          // The server has cut this one off, as it should.
        }
      }
    }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void slowRefusedBodiesAreAnsweredAtOnceAndDoNotDelayAnotherUpload() throws Exception {
    start(Map.of());
    Job job = leasedJob();
    List<Socket> crowd = new ArrayList<>();
    for (int i = 0; i < CROWD; i++) {
      crowd.add(request(job.grantA().url(), "Authorization: Bearer forged.token\r\nContent-Length: 1048576\r\n"));
    }
    trickle(crowd, Duration.ofSeconds(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> adapter.stats().rejected() >= CROWD);

    uploadsPromptly(job);
    for (Socket s : crowd) {
      String head = head(s);
      assertThat(status(head)).isEqualTo(401);
      assertThat(head).contains("connection: close");
    }
  }

  @Test
  void aDeclaredBodyThatCannotMatchItsGrantIsRefusedBeforeReadingAndHoldsNoThread() throws Exception {
    start(Map.of());
    Job job = leasedJob();
    List<Socket> crowd = new ArrayList<>();
    for (int i = 0; i < CROWD; i++) {
      // A third with no grant, a third with a length above the grant's, a third with one below the file's size.
      String auth = i % 3 == 0 ? "" : "Authorization: Bearer " + job.tokenA() + "\r\n" + job.ticketLine();
      String length = i % 3 == 2 ? "5" : "1000000000000000000";
      crowd.add(request(job.grantA().url(), auth + "Content-Length: " + length + "\r\n"));
    }

    uploadsPromptly(job);
    for (int i = 0; i < CROWD; i++) {
      Socket s = crowd.get(i);
      String head = head(s);
      assertThat(status(head)).isEqualTo(List.of(401, 413, 422).get(i % 3));
      assertThat(body(s, head)).contains(List.of("Authorization: Bearer", "exceeds the grant's maximum of 9",
          "size: declared 9, the body has 5").get(i % 3));
      assertThat(head).contains("connection: close");
      assertThat(closedByServer(s)).isTrue();
    }
    assertThat(filesUnderRoot()).isEqualTo(1);
  }

  @Test
  void admittedUploadsWhoseBodyNeverComesHoldNoThread() throws Exception {
    start(Map.of("storage.max-uploads-per-agent", "100"));
    Job job = leasedJob();
    List<Socket> expectingContinue = new ArrayList<>();
    for (int i = 0; i < CROWD; i++) {
      String expect = i % 2 == 0 ? "Expect: 100-continue\r\n" : "";
      Socket s = request(job.grantB().url(),
          "Authorization: Bearer " + job.tokenB() + "\r\n" + job.ticketLine() + "Content-Length: 200000\r\n" + expect);
      if (i % 2 == 0) {
        expectingContinue.add(s);
      }
    }
    // Told to go on, and still sending nothing.
    for (Socket s : expectingContinue) {
      assertThat(status(head(s))).isEqualTo(100);
    }
    uploadsPromptly(job);
    assertThat(filesUnderRoot()).isEqualTo(1);
  }

  @Test
  void aSilentAdmittedUploadEndsAtTheIdleTimeoutAndGivesItsSlotBack() throws Exception {
    start(Map.of("storage.idle-timeout", "1s", "storage.max-uploads-per-agent", "1"));
    Job job = leasedJob();
    Socket silent =
        request(job.grantB().url(), "Authorization: Bearer " + job.tokenB() + "\r\n" + job.ticketLine() + "Content-Length: 200000\r\n");

    String head = head(silent);
    assertThat(status(head)).isEqualTo(408);
    assertThat(body(silent, head)).contains("cut off after 0 of 200000 bytes");
    assertThat(head).contains("connection: close");
    uploadsPromptly(job);
  }

  @Test
  void aTrickledUploadIsCutOffBelowTheMinimumDataRateAndLeavesNothing() throws Exception {
    start(Map.of("storage.min-data-rate", "1000", "storage.min-data-rate-grace", "1s"));
    Job job = leasedJob();
    Socket slow =
        request(job.grantB().url(), "Authorization: Bearer " + job.tokenB() + "\r\n" + job.ticketLine() + "Content-Length: 200000\r\n");
    trickle(List.of(slow), Duration.ofMillis(200));

    String head = head(slow);
    assertThat(status(head)).isEqualTo(408);
    assertThat(body(slow, head)).contains("minimum of 1000 bytes/s");
    assertThat(head).contains("connection: close");
    await().atMost(Duration.ofSeconds(5)).until(() -> filesUnderRoot() == 0);
    // Nothing of the cut-off upload is left: the same file uploads in full.
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(job.grantB().url()))
        .PUT(HttpRequest.BodyPublishers.ofFile(job.b())).header("Authorization", "Bearer " + job.tokenB())
        .header(UploadReceipt.TICKET_HEADER, job.ticket())
        .timeout(PROMPTLY).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(Files.readAllBytes(root.resolve(Keys.of("generic", URI.create(job.grantB().url()).getPath()
        .split("/")[4], 1, "b.dat")))).isEqualTo(Files.readAllBytes(job.b()));
  }

  @Test
  void aRefusedBodyIsNotDrainedPastTheLimit() throws Exception {
    start(Map.of());
    Job job = leasedJob();
    // Twice the drain limit and more: a server that drains it would wait for the rest, which never comes.
    Socket s = request(job.grantA().url(), "Content-Length: 1048576\r\n");
    // Written beside the read: the server answers on the headers and closes once it has read its limit, so
    // a write may meet a closed connection (a broken pipe), which is the server's right.
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 25; i++) {
          s.getOutputStream().write(new byte[8_000]);
          s.getOutputStream().flush();
        }
      } catch (IOException closedByServer) {
        // Expected once the server has closed.
      }
    }, "body-writer");
    writer.start();

    String head = head(s);
    assertThat(status(head)).isEqualTo(401);
    assertThat(head).contains("connection: close");
    assertThat(body(s, head)).contains("Authorization: Bearer");
    assertThat(closedByServer(s)).isTrue();
    writer.join(5_000);
    uploadsPromptly(job);
  }

  @Test
  void anAgentOverItsUploadBoundIsRefusedWith429AndNothingChanges() throws Exception {
    start(Map.of("storage.max-uploads-per-agent", "2"));
    Job job = leasedJob();
    List<Socket> inProgress = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Socket s = request(job.grantB().url(), "Authorization: Bearer " + job.tokenB()
          + "\r\n" + job.ticketLine() + "Content-Length: 200000\r\nExpect: 100-continue\r\n");
      // The interim answer comes once the upload is admitted, so both hold their slots from here on.
      assertThat(status(head(s))).isEqualTo(100);
      s.getOutputStream().write(Files.readAllBytes(job.b()), 0, 1000);
      s.getOutputStream().flush();
      inProgress.add(s);
    }

    HttpResponse<String> third = http.send(HttpRequest.newBuilder(URI.create(job.grantA().url()))
        .PUT(HttpRequest.BodyPublishers.ofFile(job.a())).header("Authorization", "Bearer " + job.tokenA())
        .header(UploadReceipt.TICKET_HEADER, job.ticket())
        .timeout(PROMPTLY).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.headers().firstValue("Retry-After")).isPresent();
    UploadReceipt receipt = UploadReceipt.fromJson(third.body());
    assertThat(receipt.stored()).isFalse();
    assertThat(receipt.message()).contains("agent-1").contains("2 uploads");
    // Only the two uploads in progress have written anything, and only to their temporary files.
    try (Stream<Path> s = Files.walk(root)) {
      assertThat(s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .hasSize(2).allMatch(name -> name.startsWith(".b.dat.") && name.endsWith(".part"));
    }

    // An upload that breaks off gives its slot back.
    inProgress.get(0).close();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> uploadsPromptly(job));
  }
}
