package org.cernvm.copilot.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeoutException;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FileNames;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseTicket;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.StoreJobOutputDir;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.UploadGrant;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.cernvm.copilot.protocol.WantStoreJobOutputDir;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.Incoming;
import org.cernvm.copilot.protocol.security.MessageRejectedException;
import org.cernvm.copilot.protocol.bus.Response;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.cernvm.copilot.metrics.BusMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage adapter: grants uploads over the bus, receives them over HTTP, verifies and stores them,
 * and asks the job-manager service to register a job's outputs once all are stored.
 */
public final class StorageAdapter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StorageAdapter.class);

  /** What the storage adapter has done since it started. */
  public record Stats(long verified, long rejected, long registrations) {}

  /** An answer of the upload endpoint: an HTTP status and its body. */
  record Answer(int status, UploadReceipt receipt) {}

  /** What the headers of an upload decide, before any of its body is read. */
  sealed interface Admission permits Refused, Admitted {}

  /** The upload is refused with {@code answer}; its body is not wanted. */
  record Refused(Answer answer) implements Admission {}

  /**
   * The upload may send its body: what its grant allows, the job's ticket it presented, and the slot it holds
   * among its agent's uploads.
   */
  record Admitted(GrantClaims claims, JobTicket ticket, UploadSlots.Slot slot) implements Admission {}

  /** A grant's claims and the job ticket presented with it, which the claims' digest matched. */
  private record Authorized(GrantClaims claims, JobTicket ticket) {}

  private final StorageConfig config;
  private final Bus bus;
  private final StorageBackend backend;
  private final Clock clock;
  private final Grants grants;
  private final UploadSlots slots;
  private final UploadServer server;
  private final URI publicUrl;
  private final StorageMetrics metrics;

  private StorageAdapter(StorageConfig config, Bus bus, StorageBackend backend, Clock clock, Grants grants,
      PrometheusRegistry registry) throws IOException {
    this.metrics = new StorageMetrics(registry);
    BusMetrics.register(registry, bus);
    this.config = config;
    this.bus = bus;
    this.backend = backend;
    this.clock = clock;
    this.grants = grants;
    this.slots = new UploadSlots(config.maxUploadsPerAgent());
    // Body rates are measured on a monotonic clock: grants expire by the adapter's clock, which need not be one.
    this.server = UploadServer.start(config, this, System::nanoTime);
    this.publicUrl = config.publicUrl() != null ? config.publicUrl()
        : URI.create(config.scheme() + "://" + config.bindHost() + ":" + server.port());
  }

  /**
   * Starts a storage adapter: loads (or creates) the grant key, opens the upload endpoint and answers
   * grant requests on {@code bus}. The caller keeps ownership of {@code bus} and {@code backend}.
   *
   * @throws IOException if the key cannot be read or the endpoint cannot listen
   */
  public static StorageAdapter start(StorageConfig config, Bus bus, StorageBackend backend, Clock clock)
      throws IOException {
    return start(config, bus, backend, clock, new PrometheusRegistry());
  }

  /**
   * Starts a storage adapter whose metrics go to {@code registry}, as {@link #start(StorageConfig, Bus,
   * StorageBackend, Clock)} does.
   *
   * @throws IOException if the key cannot be read or the endpoint cannot listen
   */
  public static StorageAdapter start(StorageConfig config, Bus bus, StorageBackend backend, Clock clock,
      PrometheusRegistry registry) throws IOException {
    StorageAdapter adapter =
        new StorageAdapter(config, bus, backend, clock, Grants.load(config.grantKeyFile(), clock), registry);
    bus.subscribe(adapter::onMessage);
    log.info("storage adapter {} serving {} for {}: uploads at {}, {} backend", bus.self(), config.service(),
        config.jobManagers(), adapter.publicUrl, backend);
    return adapter;
  }

  /** The base URL of the upload endpoint. */
  public URI uploadUrl() {
    return publicUrl;
  }

  /** The backend outputs are written to. */
  public StorageBackend backend() {
    return backend;
  }

  /** Counts of verified and rejected uploads and of acknowledged registrations. */
  public Stats stats() {
    return metrics.stats();
  }

  private void onMessage(Incoming in) {
    Message m = in.message();
    Reply reply =
        switch (m.verb()) {
          case WANT_STORE_JOB_OUTPUT_DIR -> grant(in, (WantStoreJobOutputDir) m);
          case WANT_GET_JOB, GET_JOB, HEARTBEAT, JOB_DONE, REGISTER_OUTPUTS, KILL, DRAIN ->
              error(m, ErrorCode.UNSUPPORTED, m.verb() + " goes to the job-manager service, not the storage adapter");
          case ENROLL, RENEW, FETCH_CRL -> error(m, ErrorCode.UNSUPPORTED, m.verb() + " goes to the key manager");
          case HAVE_GET_JOB, RUN_JOB, STORE_JOB_OUTPUT_DIR, ENROLLED, CRL, ACK, ERROR -> null;
        };
    if (reply != null) {
      try {
        bus.send(in.from(), reply);
      } catch (BusException e) {
        log.warn("could not answer {} with {}: {}", Untrusted.text(in.from()), reply.verb(),
            Untrusted.text(e.getMessage()));
      }
    }
  }

  private Reply grant(Incoming in, WantStoreJobOutputDir want) {
    Address from = in.from();
    if (!from.local().equals(want.agentId())) {
      return refuse(want, ErrorCode.FORBIDDEN, "sender " + from.bare() + " may not act for agent " + want.agentId());
    }
    if (!config.jobManagers().contains(want.jobManager())) {
      return refuse(want, ErrorCode.FORBIDDEN, "this storage service does not store outputs for " + want.jobManager());
    }
    LeaseTicket t = want.ticket();
    try {
      bus.security().verify(t);
    } catch (MessageRejectedException e) {
      return refuse(want, ErrorCode.UNAUTHENTICATED, e.getMessage());
    }
    if (!t.agentId().equals(want.agentId()) || !t.jobId().equals(want.jobId()) || !t.source().equals(want.source())
        || !t.jobManager().equals(want.jobManager()) || !t.lease().equals(want.lease())) {
      return refuse(want, ErrorCode.FORBIDDEN, "the lease ticket is for job " + t.jobId() + " (lease " + t.lease()
          + ") of agent " + t.agentId() + ", not job " + want.jobId() + " (lease " + want.lease() + ") of agent "
          + want.agentId());
    }
    if (want.files().isEmpty()) {
      return refuse(want, ErrorCode.INVALID_FIELD, "no files to store");
    }
    if (new HashSet<>(want.files().stream().map(OutputFile::name).toList()).size() != want.files().size()) {
      return refuse(want, ErrorCode.INVALID_FIELD, "a file name appears twice");
    }
    try {
      FileNames.check(want.source(), "source");
      FileNames.check(want.jobId(), "jobId");
    } catch (IllegalArgumentException e) {
      return refuse(want, ErrorCode.INVALID_FIELD, e.getMessage());
    }
    for (OutputFile f : want.files()) {
      if (f.sizeBytes() > config.maxFileSize()) {
        return refuse(want, ErrorCode.TOO_LARGE, f.name() + " has " + f.sizeBytes() + " bytes; the limit is "
            + config.maxFileSize());
      }
    }
    Instant expires = clock.instant().plus(config.grantTtl());
    List<UploadGrant> list = new ArrayList<>();
    for (OutputFile f : want.files()) {
      GrantClaims claims = new GrantClaims(want.agentId(), want.source(), want.jobId(), want.lease(),
          want.jobManager(), f.name(), want.files(), expires, t.job().digest());
      String url = publicUrl + UploadReceipt.PATH_PREFIX + Keys.encode(claims.key());
      // The token lets whoever holds it upload; sealed for the agent's key, only that agent can use it.
      list.add(new UploadGrant(f.name(), url, f.sizeBytes(), expires,
          bus.security().seal(grants.sign(claims), in.sender().orElseThrow().certificate(), UploadGrant.PURPOSE)));
    }
    metrics.granted(list.size());
    log.info("granted {} upload(s) for {} (epoch {}) to {}", list.size(), Untrusted.text(want.jobId()),
        want.lease().epoch(), Untrusted.text(want.agentId()));
    return new StoreJobOutputDir(MessageIds.next(), clock.instant(), want.id(), want.jobId(), list);
  }

  private ErrorReply refuse(Message request, ErrorCode code, String text) {
    metrics.grantRefused(code);
    log.info("refused {} {}: {}", request.verb(), Untrusted.text(request.id()), Untrusted.text(text));
    return error(request, code, text);
  }

  private ErrorReply error(Message request, ErrorCode code, String text) {
    return ErrorReply.to(request.id(), clock.instant(), code, text);
  }

  /** The file named by an upload path {@code /v1/outputs/SOURCE/JOB/EPOCH/FILE}. */
  private record Target(String source, String jobId, long epoch, String file) {
    static Target parse(String rawPath) {
      if (!rawPath.startsWith(UploadReceipt.PATH_PREFIX)) {
        throw new IllegalArgumentException("not an upload path: " + rawPath);
      }
      String[] parts = rawPath.substring(UploadReceipt.PATH_PREFIX.length()).split("/", -1);
      if (parts.length != 4) {
        throw new IllegalArgumentException("an upload path is " + UploadReceipt.PATH_PREFIX
            + "SOURCE/JOB/EPOCH/FILE: " + rawPath);
      }
      String[] d = new String[4];
      for (int i = 0; i < 4; i++) {
        d[i] = FileNames.check(URLDecoder.decode(parts[i], StandardCharsets.UTF_8), "path segment");
      }
      long epoch;
      try {
        epoch = Long.parseLong(d[2]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the epoch in an upload path is a number: " + d[2]);
      }
      return new Target(d[0], d[1], epoch, d[3]);
    }
  }

  /**
   * The claims of a grant that allows this upload path, with the job ticket presented beside it; a bad path or
   * ticket header is a 400, a missing grant or ticket a 401, a bad grant or a ticket it was not issued with a 403.
   */
  private Authorized authorize(String rawPath, String authorization, String ticketHeader) throws GrantException {
    Target t;
    try {
      t = Target.parse(rawPath);
    } catch (IllegalArgumentException e) {
      throw new GrantException(400, e.getMessage());
    }
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      throw new GrantException(401, "an upload needs the header 'Authorization: Bearer <grant token>'");
    }
    GrantClaims c = grants.verify(authorization.substring("Bearer ".length()).trim());
    if (!c.source().equals(t.source()) || !c.jobId().equals(t.jobId()) || c.lease().epoch() != t.epoch()
        || !c.file().equals(t.file())) {
      throw new GrantException(403, "the grant is for " + c.file() + " of job " + c.jobId() + " (epoch "
          + c.lease().epoch() + "), not for " + t.file() + " of job " + t.jobId() + " (epoch " + t.epoch() + ")");
    }
    if (ticketHeader == null) {
      throw new GrantException(401, "an upload needs the header '" + UploadReceipt.TICKET_HEADER + ": <job ticket>'");
    }
    JobTicket ticket;
    try {
      ticket = JobTicket.fromHeader(ticketHeader);
    } catch (IllegalArgumentException e) {
      throw new GrantException(400, e.getMessage());
    }
    if (!MessageDigest.isEqual(ticket.digest().getBytes(StandardCharsets.US_ASCII),
        c.ticketDigest().getBytes(StandardCharsets.US_ASCII))) {
      throw new GrantException(403, "the job ticket is not the one the grant for " + c.file() + " was issued with");
    }
    return new Authorized(c, ticket);
  }

  private Answer reject(int status, String file, String why) {
    metrics.upload(StorageMetrics.Result.REFUSED, status, 0);
    log.warn("upload of {} rejected ({}): {}", Untrusted.text(file), status, Untrusted.text(why));
    return new Answer(status, new UploadReceipt(file, false, false, null, why));
  }

  /**
   * Decides a {@code PUT} on its headers alone: the path, the grant, and the body's length against the file's
   * declared size, which it must match; and takes one of the agent's upload slots. Nothing is read, written or
   * registered.
   *
   * @param contentLength the declared length, or {@code -1} when the body is chunked
   */
  Admission admit(String rawPath, String authorization, String ticketHeader, long contentLength) {
    Authorized a;
    try {
      a = authorize(rawPath, authorization, ticketHeader);
    } catch (GrantException e) {
      return new Refused(reject(e.status(), rawPath, e.getMessage()));
    }
    GrantClaims c = a.claims();
    OutputFile expected = c.expected();
    if (contentLength > expected.sizeBytes()) {
      return new Refused(reject(413, c.file(), "a body of " + contentLength + " bytes exceeds the grant's maximum of "
          + expected.sizeBytes()));
    }
    if (contentLength >= 0 && contentLength < expected.sizeBytes()) {
      return new Refused(reject(422, c.file(), "verification failed, upload again (size: declared "
          + expected.sizeBytes() + ", the body has " + contentLength + ")"));
    }
    return slots.tryAcquire(c.agentId())
        .<Admission>map(slot -> new Admitted(c, a.ticket(), slot))
        .orElseGet(() -> new Refused(reject(429, c.file(), "agent " + c.agentId() + " already has "
            + slots.perAgent() + " uploads in progress, the most this storage service takes from one agent at once;"
            + " upload " + c.file() + " again when one of them has finished")));
  }

  /**
   * Receives an admitted upload: streams the body to the backend, verifies it, commits it, and registers the
   * job's outputs if they are now complete. Gives the upload's slot back in every case.
   */
  Answer receive(Admitted admitted, InputStream body) {
    try {
      return receive(admitted.claims(), admitted.ticket(), body);
    } finally {
      admitted.slot().close();
    }
  }

  private Answer receive(GrantClaims c, JobTicket ticket, InputStream body) {
    OutputFile expected = c.expected();
    VerifyingInputStream in = new VerifyingInputStream(body, expected.sizeBytes());
    StorageBackend.PendingWrite write;
    try {
      write = backend.write(c.key(), in, expected.sizeBytes());
    } catch (IOException | RuntimeException e) {
      if (in.tooLarge()) {
        return reject(413, c.file(), "the body exceeds the grant's maximum of " + expected.sizeBytes() + " bytes");
      }
      if (in.clientFailure() != null) {
        TimeoutException timeout = timeout(in.clientFailure());
        if (timeout != null) {
          return reject(408, c.file(), "the upload was cut off after " + in.count() + " of " + expected.sizeBytes()
              + " bytes: " + timeout.getMessage());
        }
        return reject(400, c.file(), "the body was truncated after " + in.count() + " of " + expected.sizeBytes()
            + " bytes: " + in.clientFailure().getMessage());
      }
      return backendFailed(c, "storing", e);
    }
    OutputFile received = in.received(c.file());
    if (!received.equals(expected)) {
      write.abort();
      return reject(422, c.file(), mismatch(expected, received));
    }
    try {
      write.commit();
    } catch (IOException e) {
      write.abort();
      return backendFailed(c, "committing", e);
    }
    String location = backend.location(c.key());
    log.info("stored {} of {} (epoch {}): {} bytes, adler32 {}, md5 {}", Untrusted.text(c.file()),
        Untrusted.text(c.jobId()), c.lease().epoch(), received.sizeBytes(), received.adler32(), received.md5());
    Registration r = registerIfComplete(c, ticket);
    int status =
        switch (r.state()) {
          case REGISTERED, WAITING -> 201;
          case FAILED -> 503;
          case REFUSED -> 409;
        };
    metrics.upload(StorageMetrics.Result.STORED, status, received.sizeBytes());
    return new Answer(status, new UploadReceipt(c.file(), true, r.state() == Registration.State.REGISTERED, location,
        "stored and verified; " + r.message()));
  }

  /** The timeout that ended a client's body, the idle timeout or a too slow rate, or {@code null}. */
  private static TimeoutException timeout(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException e) {
        return e;
      }
    }
    return null;
  }

  private Answer backendFailed(GrantClaims c, String step, Exception e) {
    metrics.upload(StorageMetrics.Result.FAILED, 503, 0);
    log.warn("{} {} of {} failed: {}", step, Untrusted.text(c.file()), Untrusted.text(c.jobId()),
        Untrusted.text(e.toString()));
    return new Answer(503, new UploadReceipt(c.file(), false, false, null, "the storage backend failed: " + e.getMessage()));
  }

  private static String mismatch(OutputFile expected, OutputFile received) {
    List<String> diffs = new ArrayList<>();
    if (received.sizeBytes() != expected.sizeBytes()) {
      diffs.add("size: declared " + expected.sizeBytes() + ", received " + received.sizeBytes());
    }
    if (!received.adler32().equals(expected.adler32())) {
      diffs.add("adler32: declared " + expected.adler32() + ", received " + received.adler32());
    }
    if (!received.md5().equals(expected.md5())) {
      diffs.add("md5: declared " + expected.md5() + ", received " + received.md5());
    }
    return "verification failed, upload again (" + String.join("; ", diffs) + ")";
  }

  /** Handles {@code POST}: registers the job's outputs if all are stored. */
  Answer register(String rawPath, String authorization, String ticketHeader) {
    Authorized a;
    try {
      a = authorize(rawPath, authorization, ticketHeader);
    } catch (GrantException e) {
      return reject(e.status(), rawPath, e.getMessage());
    }
    GrantClaims c = a.claims();
    Registration r = registerIfComplete(c, a.ticket());
    int status =
        switch (r.state()) {
          case REGISTERED -> 200;
          case WAITING, REFUSED -> 409;
          case FAILED -> 503;
        };
    boolean stored = r.state() != Registration.State.WAITING;
    return new Answer(status, new UploadReceipt(c.file(), stored, r.state() == Registration.State.REGISTERED,
        stored ? backend.location(c.key()) : null, r.message()));
  }

  /** Where the registration of a job's outputs stands after an attempt. */
  record Registration(State state, String message) {
    enum State {
      /** Every output is stored and the job manager acknowledged them. */
      REGISTERED,
      /** Some outputs are not stored yet. */
      WAITING,
      /** The backend or the job manager could not be reached, or asked to try again. */
      FAILED,
      /** The job manager refused for good, e.g. because the lease is no longer current. */
      REFUSED
    }
  }

  private Registration registerIfComplete(GrantClaims c, JobTicket ticket) {
    Registration r = tryRegister(c, ticket);
    if (r.state() != Registration.State.WAITING) {
      metrics.registration(r.state());
    }
    return r;
  }

  private Registration tryRegister(GrantClaims c, JobTicket ticket) {
    List<StoredFile> stored = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    try {
      for (OutputFile f : c.files()) {
        OptionalLong size = backend.size(c.key(f.name()));
        if (size.isPresent() && size.getAsLong() == f.sizeBytes()) {
          stored.add(new StoredFile(f, backend.location(c.key(f.name()))));
        } else {
          missing.add(f.name());
        }
      }
    } catch (IOException e) {
      return new Registration(Registration.State.FAILED, "the storage backend failed: " + e.getMessage());
    }
    if (!missing.isEmpty()) {
      return new Registration(Registration.State.WAITING, "waiting for " + missing);
    }
    RegisterOutputs request = new RegisterOutputs(MessageIds.next(), clock.instant(), c.agentId(), c.jobId(), c.lease(),
        stored, ticket);
    String to = c.jobManager();
    try {
      Response resp = bus.call(Address.of(to), request, config.registerTimeout());
      if (resp.reply() instanceof Ack) {
        log.info("{} output(s) of {} (epoch {}) registered by {}", stored.size(), Untrusted.text(c.jobId()),
            c.lease().epoch(), resp.from());
        return new Registration(Registration.State.REGISTERED,
            "all " + stored.size() + " output(s) of " + c.jobId() + " registered");
      }
      String why = to + " answered registration with " + resp.reply().verb();
      boolean retry = true;
      if (resp.reply() instanceof ErrorReply e) {
        why = to + " refused registration: " + e.code() + ": " + e.message();
        retry = e.retryable();
      }
      log.warn("registration of {} (epoch {}): {}", Untrusted.text(c.jobId()), c.lease().epoch(),
          Untrusted.text(why));
      return new Registration(retry ? Registration.State.FAILED : Registration.State.REFUSED, why);
    } catch (BusException e) {
      log.warn("registration of {} (epoch {}) with {} failed: {}", Untrusted.text(c.jobId()), c.lease().epoch(), to,
          Untrusted.text(e.getMessage()));
      return new Registration(Registration.State.FAILED,
          "registration with " + to + " failed: " + e.getMessage() + "; POST to the upload URL to retry");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Registration(Registration.State.FAILED, "interrupted while registering");
    }
  }

  /** Stops the upload endpoint. */
  @Override
  public void close() {
    server.close();
  }
}
