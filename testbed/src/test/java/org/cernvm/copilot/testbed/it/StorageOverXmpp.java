package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobTickets;
import org.cernvm.copilot.jobmanager.TicketedJob;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.StoreJobOutputDir;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.UploadGrant;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.cernvm.copilot.protocol.WantStoreJobOutputDir;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.junit.jupiter.api.Test;

/**
 * Against a real XMPP server (each subclass's own) and a real WebDAV server (nginx, started by {@code scripts/webdav-up}):
 * agents upload their jobs' outputs over HTTP, the storage adapter verifies and stores them in the
 * filesystem or WebDAV backend and has them registered; every stored file is read back and checked.
 */
abstract class StorageOverXmpp extends OverXmpp {
  /** The tests on {@code xmpp}. */
  StorageOverXmpp(XmppServer xmpp) {
    super(xmpp);
  }

  private XmppBus jobManagerBus;
  static final URI WEBDAV = URI.create(System.getenv().getOrDefault("COPILOT_TEST_WEBDAV_URL", "http://127.0.0.1:15280/dav"));
  static final Path WEBDAV_DIR = Path.of(System.getenv().getOrDefault("COPILOT_TEST_WEBDAV_DIR", "/tmp/copilot-webdav"),
      "data", "dav");


  private void startJobManager() throws Exception {
    JobManagerConfig config = JobManagerConfig.from(Settings.of(Map.of("job-manager.service", address("jobmanager"),
        "job-manager.storage", address("storage"), "job-manager.lease", "10s",
        "job-manager.ticket-key-file", ticketKey().toString())), XmppServer.DOMAIN);
    jobManagerBus = connect("jobmanager", "jm-1");
    JobManager jm = new JobManager(config, jobManagerBus, queue, scheduler);
    jm.start();
    closeables.add(jm);
  }

  private Map<String, String> storageSettings(String backend) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("storage.service", address("storage"));
    s.put("storage.job-managers", address("jobmanager"));
    s.put("storage.port", "0");
    s.put("storage.grant-key-file", dir.resolve("grant.key").toString());
    s.put("storage.backend", backend);
    s.put("storage.root", dir.resolve("se").toString());
    s.put("storage.webdav-url", WEBDAV + "/" + xmpp.user("se"));
    return s;
  }

  private StorageAdapter startStorageInProcess(String backend) throws Exception {
    StorageConfig config = StorageConfig.from(Settings.of(storageSettings(backend)), XmppServer.DOMAIN);
    StorageBackend store = StorageBackend.from(config);
    closeables.add(store);
    StorageAdapter adapter = StorageAdapter.start(config, connect("storage", "sa-1"), store, scheduler.clock());
    closeables.add(adapter);
    return adapter;
  }

  private List<String> submitJobs(int n) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(queue.submit(NewJob.of("sh", "-c",
          "echo $COPILOT_JOB_ID > small.txt; head -c " + (300_000 + i * 1000) + " /dev/urandom > big.bin")
          .withOutputs("small.txt", "big.bin")));
    }
    return ids;
  }

  /** Every job DONE, both outputs registered, each read back from its location matching what was registered. */
  private void checkStored(List<String> ids, StorageBackend reader, String keyPrefix) throws Exception {
    await().atMost(Duration.ofMinutes(3)).until(() -> queue.list().stream()
        .filter(j -> ids.contains(j.jobId())).allMatch(j -> j.status().isTerminal()));
    for (String id : ids) {
      QueuedJob job = queue.get(id).orElseThrow();
      assertThat(job.status()).as(id + ": " + job.diagnostic()).isEqualTo(JobStatus.DONE);
      assertThat(job.stored()).extracting(s -> s.file().name()).containsExactly("small.txt", "big.bin", "log." + id + ".tgz");
      for (StoredFile s : job.stored()) {
        assertThat(job.outputs()).contains(s.file());
        String key = "generic/" + id + "/" + job.epoch() + "/" + s.file().name();
        assertThat(s.location()).endsWith(keyPrefix + key);
        try (InputStream in = reader.open(key)) {
          assertThat(describe(s.file().name(), in)).isEqualTo(s.file());
        }
      }
    }
  }

  private static OutputFile describe(String name, InputStream in) throws Exception {
    Adler32 adler = new Adler32();
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    byte[] buf = new byte[65536];
    long size = 0;
    for (int n; (n = in.read(buf)) > 0; size += n) {
      adler.update(buf, 0, n);
      md5.update(buf, 0, n);
    }
    return new OutputFile(name, size, Checksums.adler32Hex(adler.getValue()), HexFormat.of().formatHex(md5.digest()));
  }

  private static List<Path> partFiles(Path root) throws Exception {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
    }
  }

  @Test
  void issue3_filesystemBackendStoresVerifiesAndRegistersEveryOutput() throws Exception {
    startJobManager();
    StorageAdapter adapter = startStorageInProcess("filesystem");
    startAgents(3);
    List<String> ids = submitJobs(12);
    checkStored(ids, adapter.backend(), dir.resolve("se").toUri().toString());
    // Twelve jobs, each with two outputs and its log tarball.
    assertThat(adapter.stats().verified()).isEqualTo(36);
    assertThat(adapter.stats().rejected()).isZero();
    assertThat(partFiles(dir.resolve("se"))).isEmpty();
  }

  @Test
  void issue3_webdavBackendThroughTheStorageAdapterCommandInItsOwnProcess() throws Exception {
    Path config = dir.resolve("storage.properties");
    Map<String, String> s = storageSettings("webdav");
    s.put("xmpp.port", Integer.toString(xmpp.port()));
    s.put("xmpp.user", xmpp.user("storage"));
    s.put("xmpp.password", "pw-storage");
    s.put("xmpp.register", "true");
    s.put("security.ca", xmpp.caPem().toString());
    s.put("security.key-manager", address("keymanager"));
    s.put("security.token", token(Role.STORAGE));
    StringBuilder props = new StringBuilder();
    s.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
    Files.writeString(config, props);
    Path log = dir.resolve("storage.log");
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        Path.of("target", "copilot.jar").toAbsolutePath().toString(), "storage-adapter", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("uploads at"));
      startJobManager();
      startAgents(2);
      List<String> ids = submitJobs(10);
      try (StorageBackend reader = StorageBackend.webdav(URI.create(WEBDAV + "/" + xmpp.user("se")),
          Duration.ofSeconds(10))) {
        checkStored(ids, reader, WEBDAV + "/" + xmpp.user("se") + "/");
      }
      assertThat(partFiles(WEBDAV_DIR.resolve(xmpp.user("se")))).isEmpty();
    } finally {
      process.destroy();
      process.waitFor();
    }
    // Ten jobs, each with two outputs and its log tarball.
    assertThat(Files.readString(log)).contains("storage: 30 files verified, 0 rejected");
  }

  @Test
  void issue3_webdavBackendLeavesNothingForAMismatchOrATruncatedBody() throws Exception {
    startJobManager();
    StorageAdapter adapter = startStorageInProcess("webdav");
    queue.submit(NewJob.of("true").withOutputs("data.bin"));
    XmppBus agent = connect("agent-x", "vm");
    Resources slot = new Resources(1, 1024, 1024, Duration.ofHours(1), "x86_64-linux", List.of());
    Claim claim = queue.claim(agent.self().local(), slot, Duration.ofMinutes(5)).orElseThrow();
    byte[] data = new byte[500_000];
    new java.util.Random(3).nextBytes(data);
    Path file = Files.write(dir.resolve("data.bin"), data);
    var jobTicket = JobTickets.load(ticketKey()).seal(new TicketedJob(claim.job(), agent.self().local(),
        claim.lease().ref(), ""));
    StoreJobOutputDir granted = (StoreJobOutputDir) agent.call(Address.of(address("storage")),
        new WantStoreJobOutputDir(MessageIds.next(), Instant.now(), agent.self().local(), claim.job().jobId(), "generic",
            address("jobmanager"), claim.lease().ref(), List.of(Checksums.of(file)),
            jobManagerBus.security().ticket(address("jobmanager"), "generic", claim.job().jobId(), agent.self().local(),
                claim.lease().ref(), jobTicket)), Duration.ofSeconds(5)).reply();
    UploadGrant grant = granted.grants().get(0);
    String token = agent.security().unseal(grant.token(), UploadGrant.PURPOSE);

    byte[] corrupt = data.clone();
    corrupt[1234] ^= 1;
    HttpResponse<String> mismatch = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(grant.url()))
        .header("Authorization", "Bearer " + token).header(UploadReceipt.TICKET_HEADER, jobTicket.header())
        .PUT(HttpRequest.BodyPublishers.ofByteArray(corrupt)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(mismatch.statusCode()).isEqualTo(422);

    URI url = URI.create(grant.url());
    try (Socket socket = new Socket(url.getHost(), url.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\nAuthorization: Bearer "
          + token + "\r\n" + UploadReceipt.TICKET_HEADER + ": " + jobTicket.header() + "\r\nContent-Length: "
          + data.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(data, 0, 200_000);
      out.flush();
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> adapter.stats().rejected() == 2);
    Path jobDir = WEBDAV_DIR.resolve(xmpp.user("se"));
    await().atMost(Duration.ofSeconds(10)).until(() -> partFiles(jobDir).isEmpty());
    assertThat(adapter.backend().size("generic/" + claim.job().jobId() + "/1/data.bin")).isEmpty();
  }
}
