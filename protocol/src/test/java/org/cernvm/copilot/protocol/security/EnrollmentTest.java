package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.cernvm.copilot.protocol.Crl;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Enrolled;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FetchCrl;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A component's side of enrollment against a fake key manager on the in-memory bus, on a fake clock: a
 * request without a usable answer is sent again after a growing pause, enrollment with the same key pair,
 * until the retry is spent; a refusal is final; and upkeep never holds the scheduler's thread.
 */
class EnrollmentTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Enrollment.Retry RETRY =
      new Enrollment.Retry(Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(8));

  /** What the fake key manager does with the next request. */
  private enum Act { ANSWER, LOSE, FAIL, REFUSE }

  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final TestPki pki = new TestPki(time.clock());
  private final Address keyManager = Address.of("keymanager@t");
  private final Deque<Act> script = new ArrayDeque<>();
  private final List<Message> received = new ArrayList<>();
  private InMemoryNetwork.Endpoint component;

  @BeforeEach
  void start() {
    InMemoryNetwork.Endpoint km = pki.connect(net, "keymanager@t/km-1", Role.KEY_MANAGER);
    km.subscribe(in -> {
      Message m = in.message();
      received.add(m);
      Act act = script.isEmpty() ? Act.ANSWER : script.poll();
      Reply reply = switch (act) {
        case LOSE -> null;
        case FAIL -> new ErrorReply(MessageIds.next(), time.clock().instant(), m.id(), ErrorCode.INTERNAL, true,
            "the key manager could not record the enrollment", Duration.ZERO);
        case REFUSE -> new ErrorReply(MessageIds.next(), time.clock().instant(), m.id(), ErrorCode.FORBIDDEN, false,
            "the enrollment token was already used at 2026-01-01T00:00:00Z", Duration.ZERO);
        case ANSWER -> m instanceof Enroll e
            ? new Enrolled(MessageIds.next(), time.clock().instant(), m.id(),
                Pem.of(pki.certify(keyOf(e), e.name(), Role.AGENT)), Pem.of(pki.ca()))
            : new Crl(MessageIds.next(), time.clock().instant(), m.id(), Pem.of(pki.crl()));
      };
      if (reply != null) {
        try {
          km.send(in.from(), reply);
        } catch (BusException e) {
          throw new IllegalStateException(e);
        }
      }
    });
    component = net.connect("agent-1@t/vm", pki.unenrolled());
  }

  private static PublicKey keyOf(Enroll e) {
    try (PEMParser p = new PEMParser(new StringReader(e.csr()))) {
      return new JcaPEMKeyConverter().getPublicKey(((PKCS10CertificationRequest) p.readObject())
          .getSubjectPublicKeyInfo());
    } catch (IOException ex) {
      throw new IllegalStateException(ex);
    }
  }

  private List<Enroll> enrolls() {
    return received.stream().filter(Enroll.class::isInstance).map(Enroll.class::cast).toList();
  }

  private Enrollment enrollment() {
    return new Enrollment(component, keyManager, TIMEOUT, time, RETRY);
  }

  @Test
  void issue16_anEnrollmentWhoseAnswerIsLostIsAskedAgainWithTheSameKeyAfterAPause() throws Exception {
    script.add(Act.LOSE);
    CompletableFuture<Credentials> enrolled = enrollment().enrollAsync("agent-1", "token-1");
    time.advance(TIMEOUT);
    time.advance(Duration.ofMillis(999));
    assertThat(enrolls()).hasSize(1);
    assertThat(enrolled).isNotDone();

    time.advance(Duration.ofMillis(1));

    assertThat(enrolls()).hasSize(2);
    assertThat(keyOf(enrolls().get(1))).isEqualTo(keyOf(enrolls().get(0)));
    assertThat(enrolls().get(1).id()).isNotEqualTo(enrolls().get(0).id());
    Credentials c = enrolled.get();
    assertThat(c.certificate().getPublicKey()).isEqualTo(keyOf(enrolls().get(0)));
    assertThat(component.security().keyring().current()).contains(c);
  }

  @Test
  void issue16_aKeyManagerThatNeverAnswersIsGivenUpOnWithinTheRetryAndEveryAttemptCertifiesOneKey()
      throws Exception {
    for (int i = 0; i < 10; i++) {
      script.add(Act.LOSE);
    }
    Enrollment enrollment = enrollment();
    CompletableFuture<Credentials> enrolled = enrollment.enrollAsync("agent-1", "token-1");
    // Attempts at 0 s, 6 s (1 s pause), 13 s (2 s), 22 s (4 s); one more after 8 s would start past 30 s.
    for (int s = 0; s < 60; s++) {
      time.advance(Duration.ofSeconds(1));
    }
    assertThat(enrolls()).hasSize(4);
    assertThatThrownBy(enrolled::get).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(KeyManagerUnansweredException.class)
        .hasMessageContaining("to enroll as agent-1 in 4 attempts over 27000 ms, each awaited for 5000 ms")
        .hasMessageContaining("no reply to enroll");
    assertThat(time.pending()).isZero();

    // Asked again in this process with the same token, it certifies the same key; with another, a new one.
    enrollment.enrollAsync("agent-1", "token-1");
    enrollment.enrollAsync("agent-1", "token-2");
    List<PublicKey> keys = enrolls().stream().map(EnrollmentTest::keyOf).toList();
    assertThat(keys.subList(0, 5)).containsOnly(keys.get(0));
    assertThat(keys.get(5)).isNotEqualTo(keys.get(0));
  }

  @Test
  void issue16_aRetryableErrorIsAskedAgainAndARefusalIsFinal() throws Exception {
    script.add(Act.FAIL);
    CompletableFuture<Credentials> enrolled = enrollment().enrollAsync("agent-1", "token-1");
    assertThat(enrolled).isNotDone();
    time.advance(Duration.ofSeconds(1));
    assertThat(enrolled.get().name()).isEqualTo("agent-1");
    assertThat(enrolls()).hasSize(2);

    component = net.connect("agent-2@t/vm", pki.unenrolled());
    script.add(Act.REFUSE);
    assertThatThrownBy(() -> enrollment().enroll("agent-2", "token-2")).isInstanceOf(EnrollmentException.class)
        .hasMessageContaining("already used");
    time.advance(Duration.ofMinutes(1));
    assertThat(enrolls()).hasSize(3);
  }

  @Test
  @Timeout(20)
  void issue16_upkeepWaitingForTheKeyManagerDoesNotHoldTheSchedulersThread() throws Exception {
    Enrollment enrollment = enrollment();
    enrollment.enroll("agent-1", "token-1");
    enrollment.maintain(time, Duration.ofMinutes(5));
    script.add(Act.LOSE);

    // The first tick asks for the revocation list and gets no answer: the tick returns all the same, on the
    // scheduler's (here the test's) thread, and the request is timed out and sent again by later tasks.
    time.advance(Duration.ofMinutes(1));
    assertThat(received).filteredOn(FetchCrl.class::isInstance).hasSize(1);

    time.advance(TIMEOUT.plusSeconds(1));
    assertThat(received).filteredOn(FetchCrl.class::isInstance).hasSize(2);
    // That answer was taken: the next tick finds the list fresh and asks nothing.
    time.advance(Duration.ofMinutes(1));
    assertThat(received).filteredOn(FetchCrl.class::isInstance).hasSize(2);
  }
}
