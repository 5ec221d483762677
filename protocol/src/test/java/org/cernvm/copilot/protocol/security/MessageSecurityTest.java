package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.LeaseTicket;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Sealed;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every message is signed and verified; each way around it is refused with a clear error and no delivery. */
class MessageSecurityTest {
  private static final JobTicket SEALED_JOB = new JobTicket("k1", "AAAAAAAAAAAAAAAA", "c2VhbGVk");
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final TestPki pki = new TestPki(time.clock());
  private final MessageCodec codec = new MessageCodec();
  private final ObjectMapper json = new ObjectMapper();
  private final List<Message> delivered = new ArrayList<>();
  private InMemoryNetwork.Endpoint jm;
  private InMemoryNetwork.Endpoint agent;

  @BeforeEach
  void connect() {
    jm = pki.connect(net, "jobmanager@t/jm-1", Role.JOB_MANAGER);
    jm.subscribe(in -> {
      delivered.add(in.message());
      assertThat(in.sender()).isPresent();
      try {
        jm.send(in.from(), new Ack(MessageIds.next(), time.clock().instant(), in.message().id(), List.of()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    agent = pki.connect(net, "agent-1@t/vm", Role.AGENT);
  }

  private Heartbeat heartbeat() {
    return new Heartbeat(MessageIds.next(), time.clock().instant(), "agent-1", "j1", new LeaseRef("l1", 1),
        JobState.RUNNING, Usage.none(), SEALED_JOB);
  }

  /**
   * Delivers a raw body from the agent's address and returns the error it was answered with: the agent waits
   * on the body's id with a request to another resource of the job manager's account, which stays silent,
   * since a reply counts only from the account a request went to.
   */
  private ErrorReply rejected(String wire) throws Exception {
    CompletableFuture<Response> answer = new CompletableFuture<>();
    String id = idOf(wire);
    agent.subscribe(in -> { });
    var ghost = net.connect("jobmanager@t/ghost", pki.security("jobmanager", Role.JOB_MANAGER));
    var pending = agent.request(ghost.self(),
        new Heartbeat(id, time.clock().instant(), "agent-1", "j0", new LeaseRef("l0", 1), JobState.RUNNING,
            Usage.none(), SEALED_JOB), Duration.ofSeconds(5));
    jm.injectRaw(agent.self(), wire);
    Response r = pending.get();
    assertThat(r.reply()).isInstanceOf(ErrorReply.class);
    answer.complete(r);
    return (ErrorReply) r.reply();
  }

  private String idOf(String wire) throws Exception {
    return json.readTree(MessageSecurity.bodyOf(wire)).get("id").asText();
  }

  @Test
  void issue6_aSignedMessageFromAnAllowedRoleIsDeliveredWithItsSender() throws Exception {
    Response r = agent.call(jm.self().bare(), heartbeat(), Duration.ofSeconds(1));
    assertThat(r.reply()).isInstanceOf(Ack.class);
    assertThat(delivered).hasSize(1);
  }

  @Test
  void issue6_anUnsignedMessageIsRefused() throws Exception {
    ErrorReply e = rejected(codec.encode(heartbeat()));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(e.message()).contains("UNSIGNED");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_aForgedSignatureIsRefused() throws Exception {
    String wire = agent.security().wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    ErrorReply e = rejected(wire.replace("\"j1\"", "\"j2\""));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(e.message()).contains("BAD_SIGNATURE");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_aCertificateFromAnotherCaIsRefused() throws Exception {
    TestPki other = new TestPki(time.clock());
    String wire = other.security("agent-1", Role.AGENT).wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    ErrorReply e = rejected(wire);
    assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(e.message()).contains("UNTRUSTED_CERTIFICATE").contains("not issued by this key manager");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_anExpiredCertificateIsRefused() throws Exception {
    Credentials old = pki.issue("agent-1", Role.AGENT, time.clock().instant().minus(Duration.ofDays(2)),
        Duration.ofDays(1));
    ErrorReply e = rejected(pki.security(old).wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat())));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(e.message()).contains("EXPIRED_CERTIFICATE").contains("is valid from");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_aRevokedCertificateIsRefused() throws Exception {
    Credentials creds = pki.issue("agent-1", Role.AGENT);
    MessageSecurity s = pki.security(creds);
    pki.revoke(creds.certificate());
    ErrorReply e = rejected(s.wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat())));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    assertThat(e.message()).contains("REVOKED_CERTIFICATE").contains("is revoked");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_aVerbTheSendersRoleMayNotSendIsRefused() throws Exception {
    RegisterOutputs r = new RegisterOutputs(MessageIds.next(), time.clock().instant(), "agent-1", "j1",
        new LeaseRef("l1", 1), List.of(), SEALED_JOB);
    ErrorReply e = rejected(agent.security().wrap(jm.self(), Verb.REGISTER_OUTPUTS, codec.encode(r)));
    assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
    assertThat(e.message()).contains("WRONG_ROLE").contains("may not send registerOutputs").contains("[storage]");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_aReplayedMessageIsRefusedAndTheFirstIsDeliveredOnce() throws Exception {
    String wire = agent.security().wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    jm.injectRaw(agent.self(), wire);
    assertThat(delivered).hasSize(1);
    ErrorReply e = rejected(wire);
    assertThat(e.code()).isEqualTo(ErrorCode.REPLAYED);
    assertThat(e.message()).contains("was received before");
    assertThat(delivered).hasSize(1);
  }

  @Test
  void issue6_aMessageOutsideTheTimeWindowIsRefused() throws Exception {
    String wire = agent.security().wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    time.advance(TestPki.WINDOW.plusSeconds(1));
    ErrorReply e = rejected(wire);
    assertThat(e.code()).isEqualTo(ErrorCode.REPLAYED);
    assertThat(e.message()).contains("STALE").contains("window");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_aMessageSignedForAnotherRecipientOrPresentedByAnotherAccountIsRefused() throws Exception {
    String forStorage = agent.security().wrap(net.connect("storage@t/sa", pki.security("storage", Role.STORAGE))
        .self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    assertThat(rejected(forStorage).message()).contains("WRONG_RECIPIENT");
    String fromOther = pki.security("agent-2", Role.AGENT).wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    assertThat(rejected(fromOther).message()).contains("WRONG_SENDER").contains("presented by account agent-1@t");
    assertThat(delivered).isEmpty();
  }

  @Test
  void issue6_aSealedSecretOpensOnlyForItsRecipientAndPurpose() throws Exception {
    MessageSecurity storage = pki.security("storage", Role.STORAGE);
    Sealed sealed = storage.seal("grant-token", agent.security().keyring().current().orElseThrow().certificate(),
        "upload-grant");
    assertThat(sealed.data()).doesNotContain("grant-token");
    assertThat(agent.security().unseal(sealed, "upload-grant")).isEqualTo("grant-token");
    assertThatThrownBy(() -> agent.security().unseal(sealed, "other-purpose"))
        .isInstanceOfSatisfying(MessageRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Rejection.BAD_SEAL));
    assertThatThrownBy(() -> pki.security("agent-2", Role.AGENT).unseal(sealed, "upload-grant"))
        .isInstanceOf(MessageRejectedException.class);
    // Another first character: "A" + the rest left the data unchanged whenever it began with "A" (1 in 64).
    String data = sealed.data();
    Sealed tampered = new Sealed(sealed.key(), sealed.nonce(), (data.startsWith("A") ? "B" : "A") + data.substring(1));
    assertThatThrownBy(() -> agent.security().unseal(tampered, "upload-grant"))
        .isInstanceOf(MessageRejectedException.class);
  }

  @Test
  void issue6_aLeaseTicketVerifiesOnlyIfAJobManagerOfItsServiceSignedIt() throws Exception {
    LeaseRef lease = new LeaseRef("l1", 2);
    LeaseTicket ticket = jm.security().ticket("jobmanager@t", "generic", "j1", "agent-1", lease, SEALED_JOB);
    assertThat(agent.security().verify(ticket).name()).isEqualTo("jobmanager");

    LeaseTicket altered = new LeaseTicket(ticket.jobManager(), ticket.source(), ticket.jobId(), "agent-2",
        ticket.lease(), ticket.job(), ticket.issuedAt(), ticket.certificate(), ticket.signature());
    assertThatThrownBy(() -> agent.security().verify(altered)).isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("does not verify");
    LeaseTicket byAgent = agent.security().ticket("jobmanager@t", "generic", "j1", "agent-1", lease, SEALED_JOB);
    assertThatThrownBy(() -> jm.security().verify(byAgent)).isInstanceOf(MessageRejectedException.class)
        .hasMessageContaining("not a job manager of jobmanager@t");
  }

  @Test
  void issue6_onlyEnrollMayTravelUnsignedAndAComponentWithoutCredentialsCannotSignAnythingElse() {
    MessageSecurity fresh = pki.unenrolled();
    assertThatThrownBy(() -> fresh.wrap(jm.self(), Verb.HEARTBEAT, "{}"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not enrolled");
    assertThat(fresh.wrap(jm.self(), Verb.ENROLL, "{}")).doesNotContain("\"cert\"").doesNotContain("\"sig\"")
        .endsWith("\n{}");
  }
}
