package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peers that have heard from each other authenticate messages with a pairwise MAC instead of a
 * signature and leave their certificates out; a peer that lost the pairwise key gets the request again,
 * signed, and nothing is delivered twice.
 */
class PairwiseMacTest {
  private static final JobTicket SEALED_JOB = new JobTicket("k1", "AAAAAAAAAAAAAAAA", "c2VhbGVk");
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final TestPki pki = new TestPki(time.clock());
  private final MessageCodec codec = new MessageCodec();
  private final List<Message> delivered = new ArrayList<>();
  private final Credentials jmCredentials = pki.issue("jobmanager", Role.JOB_MANAGER);
  private InMemoryNetwork.Endpoint jm;
  private InMemoryNetwork.Endpoint agent;

  @BeforeEach
  void connect() {
    jm = startJobManager(jmCredentials);
    agent = pki.connect(net, "agent-1@t/vm", Role.AGENT);
  }

  private InMemoryNetwork.Endpoint startJobManager(Credentials credentials) {
    return acking(net.connect("jobmanager@t/jm-1", pki.security(credentials)), delivered);
  }

  /** {@code e}, answering every request with an ack and keeping it in {@code into}. */
  private InMemoryNetwork.Endpoint acking(InMemoryNetwork.Endpoint e, List<Message> into) {
    e.subscribe(in -> {
      into.add(in.message());
      try {
        e.send(in.from(), new Ack(MessageIds.next(), time.clock().instant(), in.message().id(), List.of()));
      } catch (Exception ex) {
        throw new IllegalStateException(ex);
      }
    });
    return e;
  }

  private Heartbeat heartbeat() {
    return new Heartbeat(MessageIds.next(), time.clock().instant(), "agent-1", "j1", new LeaseRef("l1", 1),
        JobState.RUNNING, Usage.none(), SEALED_JOB);
  }

  private String header(String wire) {
    return wire.substring(0, wire.indexOf('\n'));
  }

  @Test
  void issue7_peersThatHaveHeardFromEachOtherExchangeMacsWithoutCertificates() throws Exception {
    String first = agent.security().wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    assertThat(header(first)).contains("\"cert\"").contains("\"sig\"").doesNotContain("\"mac\"");

    assertThat(agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1)).reply()).isInstanceOf(Ack.class);

    String second = agent.security().wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    assertThat(header(second)).contains("\"mac\"").contains("\"for\"").doesNotContain("\"cert\"")
        .doesNotContain("\"sig\"");
    assertThat(second.length()).isLessThan(first.length() / 2);
    assertThat(agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1)).reply()).isInstanceOf(Ack.class);
    assertThat(delivered).hasSize(2);

    // A bare address may reach several endpoints: always signed.
    assertThat(header(agent.security().wrap(jm.self().bare(), Verb.HEARTBEAT, codec.encode(heartbeat()))))
        .contains("\"sig\"");
  }

  @Test
  void issue7_aForgedMacOrAMacPresentedByAnotherAccountIsRefused() throws Exception {
    agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1));
    InMemoryNetwork.Endpoint mallory = pki.connect(net, "agent-2@t/vm", Role.AGENT);

    String wire = agent.security().wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat()));
    jm.injectRaw(agent.self(), wire.replace("\"j1\"", "\"j2\""));
    jm.injectRaw(mallory.self(), agent.security().wrap(jm.self(), Verb.HEARTBEAT, codec.encode(heartbeat())));

    assertThat(delivered).hasSize(1);
    assertThat(jm.security().rejections().get(Rejection.BAD_SIGNATURE)).isEqualTo(1);
    assertThat(jm.security().rejections().get(Rejection.WRONG_SENDER)).isEqualTo(1);
  }

  @Test
  void issue16_aPeerRestartedUnderTheSameAddressWithoutKeysIsAnsweredSignedNotMacedForItsOldCertificate()
      throws Exception {
    agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1));
    assertThat(header(jm.security().wrap(agent.self(), Verb.ACK, "{}"))).contains("\"mac\"");

    // The agent's process restarts under the same full address with no keys and asks to enroll, unsigned.
    String enroll = pki.unenrolled().wrap(jm.self().bare(), Verb.ENROLL, "{}");
    jm.security().open(agent.self(), jm.self(), enroll);

    assertThat(header(jm.security().wrap(agent.self(), Verb.ACK, "{}"))).contains("\"sig\"")
        .doesNotContain("\"mac\"");
  }

  @Test
  void issue7_aRestartedPeerThatLostThePairwiseKeyGetsTheRequestAgainSignedAndOnce() throws Exception {
    agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1));
    jm.close();
    jm = startJobManager(jmCredentials);

    Response r = agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1));

    assertThat(r.reply()).isInstanceOf(Ack.class);
    assertThat(delivered).hasSize(2);
    assertThat(jm.security().rejections().get(Rejection.UNKNOWN_KEY)).isEqualTo(1);

    // Restarted with a new certificate: the agent's MAC is for a key the job manager no longer holds.
    jm.close();
    jm = startJobManager(pki.issue("jobmanager", Role.JOB_MANAGER));
    assertThat(agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1)).reply()).isInstanceOf(Ack.class);
    assertThat(delivered).hasSize(3);
  }

  @Test
  void issue7_aRequestToAnAbsentResourceThatReachesAnotherReplicaIsSentAgainSigned() throws Exception {
    agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1));
    List<Message> atReplica = new ArrayList<>();
    acking(net.connect("jobmanager@t/jm-2", pki.security("jobmanager", Role.JOB_MANAGER)), atReplica);
    Address gone = jm.self();
    jm.close();

    Response r = agent.call(gone, heartbeat(), Duration.ofSeconds(1));

    assertThat(r.reply()).isInstanceOf(Ack.class);
    assertThat(atReplica).hasSize(1);
  }

  @Test
  void issue7_aMessageMacedForTheCertificateBeforeARenewalStillOpens() throws Exception {
    agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1));
    String ack = jm.security().wrap(agent.self(), Verb.ACK,
        codec.encode(new Ack(MessageIds.next(), time.clock().instant(), "x", List.of())));
    assertThat(header(ack)).contains("\"mac\"");

    agent.security().keyring().install(pki.issue("agent-1", Role.AGENT));

    assertThat(agent.security().open(jm.self(), agent.self(), ack).sender()).get()
        .extracting(Identity::name).isEqualTo("jobmanager");
    agent.security().keyring().install(pki.issue("agent-1", Role.AGENT));
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> agent.security().open(jm.self(), agent.self(), ack)))
        .isInstanceOfSatisfying(MessageRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(Rejection.UNKNOWN_KEY);
          assertThat(e.reason().code()).isEqualTo(ErrorCode.SIGN_AGAIN);
        });
  }

  @Test
  void issue7_anErrorAnswerIsNotSentAgainForever() throws Exception {
    agent.call(jm.self(), heartbeat(), Duration.ofSeconds(1));
    // A job manager that refuses every MAC: the agent signs once and then gets the answer.
    jm.close();
    InMemoryNetwork.Endpoint stubborn = net.connect("jobmanager@t/jm-1", pki.security(jmCredentials));
    stubborn.subscribe(in -> {
      try {
        stubborn.send(in.from(), new ErrorReply(MessageIds.next(), time.clock().instant(), in.message().id(),
            ErrorCode.SIGN_AGAIN, true, "again", Duration.ZERO));
      } catch (Exception ex) {
        throw new IllegalStateException(ex);
      }
    });
    Response r = agent.call(stubborn.self(), heartbeat(), Duration.ofSeconds(1));
    assertThat(r.reply()).isInstanceOfSatisfying(ErrorReply.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SIGN_AGAIN));
  }
}
