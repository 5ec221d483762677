package org.cernvm.copilot.testbed;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.ProtocolException;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.WantStoreJobOutputDir;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.security.Authority;
import org.cernvm.copilot.protocol.security.Certificates;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Enrollment;
import org.cernvm.copilot.protocol.security.Keyring;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jxmpp.jid.impl.JidCreate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's built-in attacker, "mallory": an enrolled agent gone bad that also holds an XMPP account, a
 * raw XMPP connection that sends whatever bytes it likes, a stolen expired certificate and a revoked one.
 * It tries, while the demo's jobs run, each way in that the security must close: an unsigned message, a
 * forged signature, an expired and a revoked certificate, a verb its role may not send, a replayed
 * message, a message signed for another recipient, a reused and an expired enrollment token, finishing
 * another agent's job, a forged lease ticket, a forged job ticket, and a tampered upload grant. An attempt counts as rejected
 * only if it is answered with the error the security should give; anything else counts as accepted.
 */
final class Attacker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Attacker.class);
  private static final String NAME = "mallory";
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(15);
  /** How many attempts {@link #attack} makes. */
  static final int ATTEMPTS = 13;
  /** A job ticket made up by the attacker, who lacks the job managers' group key. */
  private static final JobTicket FORGED_TICKET = new JobTicket("mallory", "AAAAAAAAAAAAAAAA",
      Base64.getEncoder().encodeToString("{\"job\":{\"jobId\":\"probe-12\"}}".getBytes(StandardCharsets.UTF_8)));

  /**
   * How the attack went.
   *
   * @param rejected attempts answered with the right error
   * @param accepted attempts that were not, each described
   */
  record Score(int rejected, List<String> accepted) {}

  private final Pki pki;
  private final EmbeddedXmppServer server;
  private final URI uploadUrl;
  private final Address jobManager;
  private final Address storage;
  private final MessageCodec codec = new MessageCodec();
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, CompletableFuture<Reply>> waiting = new ConcurrentHashMap<>();
  private final List<AutoCloseable> opened = new ArrayList<>();
  private XMPPTCPConnection raw;
  private int rejected;
  private final List<String> accepted = new ArrayList<>();

  Attacker(Pki pki, EmbeddedXmppServer server, URI uploadUrl, String jobManager, String storage) {
    this.pki = pki;
    this.server = server;
    this.uploadUrl = uploadUrl;
    this.jobManager = Address.of(jobManager);
    this.storage = Address.of(storage);
  }

  /** Runs every attempt once; never throws. */
  Score attack() {
    try {
      run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      accepted.add("the attack was interrupted");
    } catch (Exception e) {
      log.warn("the attacker failed", e);
      accepted.add("the attacker could not run: " + e);
    }
    return new Score(rejected, List.copyOf(accepted));
  }

  private void run() throws Exception {
    Clock clock = pki.services.scheduler.clock();
    // A legitimately enrolled agent, and a raw connection as the same account.
    String password = pki.remember(Pki.password());
    MessageSecurity signer = pki.join(server, NAME, password, "vm", Role.AGENT, opened).security();
    raw = RawXmpp.connect(server.account(NAME, password, "raw"), this::onAnswer);

    expect("unsigned message", jobManager, codec.encode(heartbeat("probe-1", clock)), ErrorCode.UNAUTHENTICATED);

    String signed = signer.wrap(jobManager, Verb.HEARTBEAT, codec.encode(heartbeat("probe-2", clock)));
    expect("forged signature", jobManager, signed.replace("probe-2", "probe-3"), ErrorCode.UNAUTHENTICATED);

    Credentials stale = pki.reopen(Clock.offset(clock, Duration.ofDays(-3)))
        .issueCredentials(NAME, Role.AGENT, Duration.ofHours(1));
    expect("expired certificate", jobManager, security(stale, clock).wrap(jobManager, Verb.HEARTBEAT,
        codec.encode(heartbeat("probe-4", clock))), ErrorCode.UNAUTHENTICATED);

    Credentials revoked = pki.ca.issueCredentials(NAME, Role.AGENT, Duration.ofHours(1));
    pki.ca.revoke(revoked.certificate().getSerialNumber());
    // Every component fetches the revocation list every pki.crlRefresh; give them a few rounds.
    Thread.sleep(pki.crlRefresh.multipliedBy(3).toMillis());
    expect("revoked certificate", jobManager, security(revoked, clock).wrap(jobManager, Verb.HEARTBEAT,
        codec.encode(heartbeat("probe-5", clock))), ErrorCode.UNAUTHENTICATED);

    RegisterOutputs register = new RegisterOutputs(MessageIds.next(), clock.instant(), NAME, "probe-6",
        new LeaseRef("lease-6", 1), List.of(), FORGED_TICKET);
    expect("wrong role (an agent registering outputs)", jobManager,
        signer.wrap(jobManager, Verb.REGISTER_OUTPUTS, codec.encode(register)), ErrorCode.FORBIDDEN);

    String once = signer.wrap(jobManager, Verb.HEARTBEAT, codec.encode(heartbeat("probe-7", clock)));
    exchange(jobManager, once, idOf(once));
    expect("replayed message", jobManager, once, ErrorCode.REPLAYED);

    expect("message signed for another recipient", jobManager,
        signer.wrap(storage, Verb.HEARTBEAT, codec.encode(heartbeat("probe-8", clock))), ErrorCode.UNAUTHENTICATED);

    Address km = pki.address(server.domain());
    MessageSecurity anonymous = MessageSecurity.create(Keyring.empty(), Authority.of(pki.ca.certificate()), clock,
        Pki.WINDOW);
    String token = pki.token(Role.AGENT);
    exchange(km, anonymous.wrap(km, Verb.ENROLL, codec.encode(enroll(token, anonymous, clock))), null);
    String again = anonymous.wrap(km, Verb.ENROLL, codec.encode(enroll(token, anonymous, clock)));
    expect("reused enrollment token", km, again, ErrorCode.FORBIDDEN);

    String shortLived = pki.remember(pki.tokens.create(Role.AGENT, 1, Duration.ofMillis(1)).get(0));
    Thread.sleep(20);
    expect("expired enrollment token", km,
        anonymous.wrap(km, Verb.ENROLL, codec.encode(enroll(shortLived, anonymous, clock))), ErrorCode.FORBIDDEN);

    JobDone done = new JobDone(MessageIds.next(), clock.instant(), "agent-1", "probe-9", new LeaseRef("lease-9", 1),
        Outcome.SUCCEEDED, FailureKind.NONE, 0, "", Usage.none(), PayloadReport.UNKNOWN, List.of(), FORGED_TICKET);
    expect("finishing another agent's job", jobManager, signer.wrap(jobManager, Verb.JOB_DONE, codec.encode(done)),
        ErrorCode.FORBIDDEN);

    OutputFile file = new OutputFile("out.txt", 3, "024d0127", "900150983cd24fb0d6963f7d28e17f72");
    LeaseRef lease = new LeaseRef("lease-10", 1);
    WantStoreJobOutputDir want = new WantStoreJobOutputDir(MessageIds.next(), clock.instant(), NAME, "probe-10",
        "generic", jobManager.value(), lease, List.of(file),
        signer.ticket(jobManager.value(), "generic", "probe-10", NAME, lease, FORGED_TICKET));
    expect("forged lease ticket", storage, signer.wrap(storage, Verb.WANT_STORE_JOB_OUTPUT_DIR, codec.encode(want)),
        ErrorCode.UNAUTHENTICATED);

    expect("forged job ticket", jobManager, signer.wrap(jobManager, Verb.HEARTBEAT,
        codec.encode(heartbeat("probe-12", clock))), ErrorCode.FORBIDDEN);

    tamperedGrant();
  }

  private void tamperedGrant() throws Exception {
    String claims = "{\"agentId\":\"" + NAME + "\",\"source\":\"generic\",\"jobId\":\"probe-11\","
        + "\"lease\":{\"leaseId\":\"lease-11\",\"epoch\":1},\"file\":\"out.txt\",\"maxBytes\":1000000000}";
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String token = b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(new byte[32]);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(uploadUrl.resolve("/v1/outputs/generic/probe-11/1/out.txt"))
        .timeout(ANSWER_TIMEOUT).header("Authorization", "Bearer " + token)
        .PUT(HttpRequest.BodyPublishers.ofString("abc")).build(), HttpResponse.BodyHandlers.ofString());
    score("tampered upload grant", answer.statusCode() == 401 || answer.statusCode() == 403,
        "HTTP " + answer.statusCode());
  }

  private Heartbeat heartbeat(String jobId, Clock clock) {
    return new Heartbeat(MessageIds.next(), clock.instant(), NAME, jobId, new LeaseRef("lease-" + jobId, 1),
        JobState.RUNNING, Usage.none(), FORGED_TICKET);
  }

  private Enroll enroll(String token, MessageSecurity security, Clock clock) {
    KeyPair pair = Certificates.newKeyPair();
    return new Enroll(MessageIds.next(), clock.instant(), NAME,
        security.seal(token, pki.ca.certificate(), Enrollment.TOKEN_PURPOSE), Enrollment.csr(NAME, pair));
  }

  private MessageSecurity security(Credentials credentials, Clock clock) {
    return MessageSecurity.create(Keyring.of(credentials), Authority.of(pki.ca.certificate()), clock, Pki.WINDOW);
  }

  /** Sends {@code wire} and scores it rejected if the answer is an error with code {@code expected}. */
  private void expect(String attempt, Address to, String wire, ErrorCode expected) throws Exception {
    Reply reply = exchange(to, wire, idOf(wire));
    boolean ok = reply instanceof ErrorReply e && e.code() == expected;
    score(attempt, ok, reply == null ? "no answer" : reply instanceof ErrorReply e ? e.code() + ": " + e.message()
        : String.valueOf(reply.verb()));
  }

  private void score(String attempt, boolean rejectedAsExpected, String answer) {
    if (rejectedAsExpected) {
      rejected++;
      log.info("attack '{}' rejected: {}", attempt, answer);
    } else {
      accepted.add(attempt + " (answered " + answer + ")");
      log.error("attack '{}' was not rejected as it should be: {}", attempt, answer);
    }
  }

  /** Sends a raw body and waits for the reply to request {@code id}; {@code null} if none came in time. */
  private Reply exchange(Address to, String wire, String id) throws Exception {
    CompletableFuture<Reply> answer = new CompletableFuture<>();
    String key = id != null ? id : idOf(wire);
    waiting.put(key, answer);
    raw.sendStanza(StanzaBuilder.buildMessage(MessageIds.next()).to(JidCreate.from(to.value()))
        .ofType(org.jivesoftware.smack.packet.Message.Type.normal).setBody(wire).build());
    try {
      return answer.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return null;
    } finally {
      waiting.remove(key);
    }
  }

  /** The message id inside a raw body, enveloped or not. */
  private String idOf(String wire) throws Exception {
    return json.readTree(MessageSecurity.bodyOf(wire)).path("id").asText();
  }

  private void onAnswer(String wire) {
    if (wire == null) {
      return;
    }
    try {
      Message m = codec.decode(MessageSecurity.bodyOf(wire));
      if (m instanceof Reply r && waiting.containsKey(r.replyTo())) {
        waiting.get(r.replyTo()).complete(r);
      }
    } catch (ProtocolException e) {
      log.debug("attacker ignored an answer it cannot read: {}", e.getMessage());
    }
  }

  @Override
  public void close() throws Exception {
    if (raw != null) {
      raw.instantShutdown();
    }
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
  }
}
