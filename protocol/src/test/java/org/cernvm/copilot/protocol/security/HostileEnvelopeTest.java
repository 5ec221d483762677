package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Sealed;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.Test;

/**
 * Envelopes from a sender with nothing but an XMPP account: whatever it sends is refused with a typed
 * rejection, and nothing it sends makes the receiver keep more than a bounded amount.
 */
class HostileEnvelopeTest {
  private static final JobTicket SEALED_JOB = new JobTicket("k1", "AAAAAAAAAAAAAAAA", "c2VhbGVk");
  private final ManualScheduler time = new ManualScheduler();
  private final TestPki pki = new TestPki(time.clock());
  private final MessageCodec codec = new MessageCodec();
  private final MessageSecurity jm = pki.security("jobmanager", Role.JOB_MANAGER);
  private final Address jmAddress = Address.of("jobmanager@t/jm-1");
  private final Address mallory = Address.of("mallory@t/x");

  private String heartbeat() {
    return codec.encode(new Heartbeat(MessageIds.next(), time.clock().instant(), "mallory", "j1", new LeaseRef("l1", 1),
        JobState.RUNNING, Usage.none(), SEALED_JOB));
  }

  private Rejection rejection(String wire) {
    try {
      jm.open(mallory, jmAddress, wire);
    } catch (MessageRejectedException e) {
      return e.reason();
    }
    throw new AssertionError("accepted: " + wire.substring(0, Math.min(200, wire.length())));
  }

  @Test
  void issue16_certificatesThatFailTheCasCheckAreNotKept() throws Exception {
    // A well-formed certificate from a CA of the attacker's own: it parses, and fails the check.
    TestPki other = new TestPki(time.clock());
    for (int i = 0; i < 50; i++) {
      Credentials c = other.issue("mallory", Role.AGENT);
      String wire = "{\"to\":\"" + jmAddress + "\",\"cert\":\"" + Base64.getEncoder().encodeToString(c.certificate()
          .getEncoded()) + "\",\"sig\":\"AAAA\"}\n" + heartbeat();
      assertThat(rejection(wire)).isEqualTo(Rejection.UNTRUSTED_CERTIFICATE);
    }
    // Large junk: refused unread, whatever its size.
    Random random = new Random(16);
    for (int i = 0; i < 20; i++) {
      byte[] junk = new byte[128 * 1024];
      random.nextBytes(junk);
      String wire = "{\"to\":\"" + jmAddress + "\",\"cert\":\"" + Base64.getEncoder().encodeToString(junk)
          + "\",\"sig\":\"AAAA\"}\n" + heartbeat();
      assertThat(rejection(wire)).isIn(Rejection.UNTRUSTED_CERTIFICATE, Rejection.MALFORMED_ENVELOPE);
    }
    assertThat(jm.certificatesKept()).isZero();
    assertThat(jm.authority().certificatesKnown()).isZero();

    // A certificate of the CoPilot CA is kept once it has been checked.
    MessageSecurity agent = pki.security("agent-1", Role.AGENT);
    jm.open(Address.of("agent-1@t/vm"), jmAddress, agent.wrap(jmAddress, Verb.HEARTBEAT, heartbeat()));
    assertThat(jm.certificatesKept()).isEqualTo(1);
    assertThat(jm.authority().certificatesKnown()).isEqualTo(1);
  }

  @Test
  void issue16_aCertificateLongerThanAnyCoPilotCertificateIsRefusedBeforeParsing() {
    String wire = "{\"to\":\"" + jmAddress + "\",\"cert\":\"" + "A".repeat(MessageSecurity.MAX_CERTIFICATE_CHARS + 4)
        + "\",\"sig\":\"AAAA\"}\n" + heartbeat();
    assertThatThrownBy(() -> jm.open(mallory, jmAddress, wire))
        .isInstanceOfSatisfying(MessageRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Rejection.UNTRUSTED_CERTIFICATE);
          assertThat(e.getMessage()).contains("longer than");
        });
    String header = "{\"to\":\"" + jmAddress + "\",\"x\":\"" + "A".repeat(MessageSecurity.MAX_HEADER_CHARS) + "\"}\n";
    assertThat(rejection(header + heartbeat())).isEqualTo(Rejection.MALFORMED_ENVELOPE);
  }

  @Test
  void issue16_unsignedIdsAreKeptInABoundedCacheApartFromAuthenticatedOnes() throws Exception {
    Sealed token = new Sealed("a", "b", "c");
    for (int i = 0; i < MessageSecurity.MAX_UNSIGNED_IDS + 2_000; i++) {
      Enroll enroll = new Enroll("e-" + i + "-" + "x".repeat(100), time.clock().instant(), "mallory", token, "csr");
      jm.admit(enroll, java.util.Optional.empty());
    }
    assertThat(jm.unsignedIdsKept()).isLessThanOrEqualTo(MessageSecurity.MAX_UNSIGNED_IDS);
  }

  @Test
  void issue16_aRestartedReceiverRefusesWhatWasSentBeforeItStartedAndAcceptsFreshMessages() throws Exception {
    MessageSecurity agent = pki.security("agent-1", Role.AGENT);
    Address agentAddress = Address.of("agent-1@t/vm");
    String seen = agent.wrap(jmAddress, Verb.HEARTBEAT, heartbeat());
    var first = jm.open(agentAddress, jmAddress, seen);
    jm.admit(codec.decode(first.body()), first.sender());

    // However fast the restart: a millisecond later.
    time.advance(Duration.ofMillis(1));
    MessageSecurity restarted = pki.security(pki.issue("jobmanager", Role.JOB_MANAGER));
    var again = restarted.open(agentAddress, jmAddress, seen);
    assertThatThrownBy(() -> restarted.admit(codec.decode(again.body()), again.sender()))
        .isInstanceOfSatisfying(MessageRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Rejection.SENT_BEFORE_START);
          assertThat(e.reason().code().retryable()).isTrue();
        });

    String fresh = agent.wrap(jmAddress, Verb.HEARTBEAT, heartbeat());
    var opened = restarted.open(agentAddress, jmAddress, fresh);
    restarted.admit(codec.decode(opened.body()), opened.sender());
  }

  @Test
  void issue16_anUnreadableIdIsNotQuotedInTheRejection() {
    String wire = "{\"to\":\"" + jmAddress + "\",\"sig\":\"AAAA\",\"cert\":\"AAAA\"}\n{\"verb\":\"heartbeat\",\"id\":\""
        + "&".repeat(30_000) + "\"}";
    assertThatThrownBy(() -> jm.open(mallory, jmAddress, wire))
        .isInstanceOfSatisfying(MessageRejectedException.class, e -> assertThat(e.offendingId()).isNull());
    String unsigned = "{\"verb\":\"heartbeat\",\"id\":\"\\uffff\"}";
    assertThatThrownBy(() -> jm.open(mallory, jmAddress, unsigned))
        .isInstanceOfSatisfying(MessageRejectedException.class, e -> assertThat(e.offendingId()).isNull());
  }
}
