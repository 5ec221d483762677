package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Kill;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.security.Authority;
import org.cernvm.copilot.protocol.security.Certificates;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.Keyring;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.security.Role;
import org.junit.jupiter.api.Test;

/**
 * Against a real XMPP server (each subclass's own) whose TLS certificate the key manager issued: components enroll at start
 * with one-time tokens, refuse plaintext and servers they do not trust, and a revoked component is shut out
 * once the revocation list is fetched; a component restarted under the same full address without its keys
 * enrolls again.
 */
abstract class SecurityOverXmpp extends OverXmpp {
  /** The tests on {@code xmpp}. */
  SecurityOverXmpp(XmppServer xmpp) {
    super(xmpp);
  }

  @Test
  void issue6_componentsEnrollAtStartWithOneTimeTokensUnderTheirOwnNames() throws Exception {
    XmppBus agent = connect("agent-1", "vm");
    var credentials = agent.security().keyring().current().orElseThrow();
    assertThat(credentials.name()).isEqualTo(agent.self().local());
    assertThat(credentials.role()).isEqualTo(Role.AGENT);
    assertThat(agent.security().authority().crl()).isPresent();

    String token = token(Role.AGENT);
    closeables.add(EnrolledBus.connect(xmpp.settings("agent-2", "vm"), security(token), scheduler, workers,
        Duration.ofSeconds(20)));
    assertThatThrownBy(() -> EnrolledBus.connect(xmpp.settings("thief", "vm"), security(token), scheduler, workers,
        Duration.ofSeconds(20))).isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
  }

  @Test
  void issue6_componentsRefusePlaintextAndServersTheirCaDidNotCertify() throws Exception {
    XmppSettings good = xmpp.settings("eve", "x");
    MessageSecurity unenrolled = MessageSecurity.create(Keyring.empty(), Authority.load(xmpp.caPem()),
        scheduler.clock(), WINDOW);
    XmppSettings plaintext = new XmppSettings(good.host(), good.port(), good.domain(), good.username(), good.password(),
        good.resource(), XmppSettings.Security.DISABLED, null, List.of(), true, Duration.ofSeconds(3),
        Duration.ofMillis(200), Duration.ofSeconds(1));
    try (XmppBus bus = Bus.xmpp(plaintext, unenrolled, scheduler, workers)) {
      assertThatThrownBy(() -> bus.awaitConnected(Duration.ofSeconds(5))).isInstanceOf(BusException.class);
    }
    Path otherCa = Files.writeString(dir.resolve("other-ca.pem"),
        Pem.of(Certificates.newAuthority(Certificates.newKeyPair(), Instant.now(), Duration.ofDays(1))));
    XmppSettings distrusting = new XmppSettings(good.host(), good.port(), good.domain(), good.username(),
        good.password(), good.resource(), XmppSettings.Security.REQUIRED, otherCa, List.of(), true,
        Duration.ofSeconds(3), Duration.ofMillis(200), Duration.ofSeconds(1));
    try (XmppBus bus = Bus.xmpp(distrusting, unenrolled, scheduler, workers)) {
      assertThatThrownBy(() -> bus.awaitConnected(Duration.ofSeconds(5))).isInstanceOf(BusException.class);
    }
    try (XmppBus bus = Bus.xmpp(good, unenrolled, scheduler, workers)) {
      bus.awaitConnected(Duration.ofSeconds(10));
      assertThat(bus.isConnected()).isTrue();
    }
  }

  @Test
  void issue6_aRevokedOperatorIsShutOutOnceTheJobManagerFetchesTheRevocationList() throws Exception {
    startJobManager(queue, "30s");
    XmppBus operator = connect("operator", "cli");
    Address service = Address.of(address("jobmanager"));
    String job = queue.submit(org.cernvm.copilot.jobmanager.generic.NewJob.of("true"));
    assertThat(operator.call(service, new Kill(MessageIds.next(), Instant.now(), "g-none", "probe"),
        Duration.ofSeconds(10)).reply()).isInstanceOfSatisfying(ErrorReply.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_JOB));

    keyManager.ca().revoke(operator.security().keyring().current().orElseThrow().certificate().getSerialNumber());
    new org.cernvm.copilot.protocol.security.Enrollment(jobManagerBus(), Address.of(address("keymanager")),
        Duration.ofSeconds(10), scheduler, org.cernvm.copilot.protocol.security.Enrollment.Retry.standard())
        .refreshRevocations();
    var answer = operator.call(service, new Kill(MessageIds.next(), Instant.now(), job, "revoked"),
        Duration.ofSeconds(10)).reply();
    assertThat(answer).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
      assertThat(e.message()).contains("REVOKED_CERTIFICATE");
    });
    assertThat(queue.get(job).orElseThrow().status().isTerminal()).isFalse();
  }

  @Test
  void issue16_aJobManagerRestartedUnderItsFullAddressWithoutKeptKeysEnrollsAgainAndServes() throws Exception {
    startStorage();
    startAgents(1);
    // A fixed resource and no security.dir, as a job manager restarted by systemd has.
    XmppSettings jm1 = xmpp.settings("jobmanager", "jm-1");
    EnrolledBus first = EnrolledBus.connect(jm1, security(token(Role.JOB_MANAGER)), scheduler, workers,
        Duration.ofSeconds(20));
    JobManager firstJm = new JobManager(jobManagerConfig("30s"), first.bus(), queue, scheduler);
    firstJm.start();
    String before = queue.submit(NewJob.of("true"));
    await().atMost(Duration.ofSeconds(30)).until(() -> queue.get(before).orElseThrow().status() == JobStatus.DONE);
    // The job manager fetched the revocation list, signed: the key manager now MACs what it sends there.
    assertThat(header(keyManagerBus.security().wrap(first.bus().self(), Verb.ENROLLED, "{}"))).contains("\"mac\"");
    firstJm.close();
    first.close();

    EnrolledBus second = EnrolledBus.connect(jm1, security(token(Role.JOB_MANAGER)), scheduler, workers,
        Duration.ofSeconds(20));
    closeables.add(second);
    assertThat(second.bus().self()).isEqualTo(first.bus().self());
    assertThat(second.bus().security().keyring().current().orElseThrow().certificate())
        .isNotEqualTo(first.bus().security().keyring().current().orElseThrow().certificate());
    JobManager secondJm = new JobManager(jobManagerConfig("30s"), second.bus(), queue, scheduler);
    secondJm.start();
    closeables.add(secondJm);
    String after = queue.submit(NewJob.of("true"));
    await().atMost(Duration.ofSeconds(30)).until(() -> queue.get(after).orElseThrow().status() == JobStatus.DONE);
    assertThat(queue.get(after).orElseThrow().epoch()).isEqualTo(1);
  }

  private static String header(String wire) {
    return wire.substring(0, wire.indexOf('\n'));
  }
}
