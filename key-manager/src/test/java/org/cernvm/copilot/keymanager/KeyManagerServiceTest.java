package org.cernvm.copilot.keymanager;

import java.nio.file.Files;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Enrolled;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.bus.MessageHandler;
import org.cernvm.copilot.protocol.bus.RequestTimeoutException;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.security.Authority;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Enrollment;
import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.KeyManagerUnansweredException;
import org.cernvm.copilot.protocol.security.Keyring;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.cernvm.copilot.metrics.Samples;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enrollment, renewal and revocation lists over the bus, on a fake clock. */
class KeyManagerServiceTest {
  private static final Duration WINDOW = Duration.ofMinutes(2);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Enrollment.Retry RETRY = Enrollment.Retry.standard();

  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final Address keyManager = Address.of("keymanager@test");
  private CertificateAuthority ca;
  private EnrollmentTokens tokens;
  private KeyManagerService service;
  private InMemoryNetwork.Endpoint keyManagerEndpoint;
  private final PrometheusRegistry registry = new PrometheusRegistry();

  @BeforeEach
  void start() throws Exception {
    ca = CertificateAuthority.create(dir.resolve("ca"), "pw".toCharArray(), time.clock());
    tokens = new EnrollmentTokens(dir.resolve("ca"), time.clock());
    KeyManager km = new KeyManager(ca, tokens, time.clock(), Duration.ofHours(24));
    keyManagerEndpoint = net.connect("keymanager@test/km-1", km.security("keymanager", WINDOW));
    service = KeyManagerService.start(km, keyManagerEndpoint, time, registry);
  }

  private InMemoryNetwork.Endpoint component(String address, Path keyringDir) throws Exception {
    Keyring keyring = keyringDir == null ? Keyring.empty() : Keyring.open(keyringDir);
    return net.connect(address, MessageSecurity.create(keyring, Authority.of(ca.certificate()), time.clock(), WINDOW));
  }

  @Test
  void issue6_anAgentEnrollsWithItsTokenOnceAndOnlyUnderItsOwnName() throws Exception {
    String token = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);
    InMemoryNetwork.Endpoint agent = component("agent-7@test/vm", null);
    Credentials c = new Enrollment(agent, keyManager, TIMEOUT, time, RETRY).enroll("agent-7", token);
    assertThat(c.role()).isEqualTo(Role.AGENT);
    assertThat(c.name()).isEqualTo("agent-7");
    assertThat(agent.security().keyring().current()).contains(c);

    InMemoryNetwork.Endpoint again = component("agent-7@test/vm2", null);
    assertThatThrownBy(() -> new Enrollment(again, keyManager, TIMEOUT, time, RETRY).enroll("agent-7", token))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");

    String second = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);
    assertThatThrownBy(() -> new Enrollment(again, keyManager, TIMEOUT, time, RETRY).enroll("agent-8", second))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("may not enroll as agent-8");
    // The refused attempt did not spend the token.
    assertThat(new Enrollment(again, keyManager, TIMEOUT, time, RETRY).enroll("agent-7", second).name())
        .isEqualTo("agent-7");

    InMemoryNetwork.Endpoint third = component("agent-9@test/vm", null);
    var bad = third.call(keyManager, new Enroll(MessageIds.next(), time.clock().instant(), "agent-9",
        third.security().seal("x", ca.certificate(), Enrollment.TOKEN_PURPOSE), "not a csr"), TIMEOUT);
    assertThat(bad.reply()).isInstanceOfSatisfying(ErrorReply.class,
        r -> assertThat(r.code()).isEqualTo(ErrorCode.INVALID_FIELD));
    // The key manager's own failure to record an enrollment is answered, and counted, like a refusal.
    String unrecorded = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);
    try (var records = Files.list(dir.resolve("ca/tokens"))) {
      for (Path record : records.filter(f -> f.toString().endsWith(".json")).toList()) {
        Files.writeString(record, "{");
      }
    }
    assertThatThrownBy(() -> new Enrollment(third, keyManager, TIMEOUT, time, new Enrollment.Retry(Duration.ZERO,
        Duration.ofSeconds(1), Duration.ofSeconds(1))).enroll("agent-9", unrecorded))
        .isInstanceOf(KeyManagerUnansweredException.class).hasMessageContaining("could not record");

    Samples metrics = Samples.of(registry);
    assertThat(metrics.value("copilot_certificates_issued_total{role=\"agent\",verb=\"enroll\"}")).isEqualTo(2);
    assertThat(metrics.value("copilot_key_manager_refusals_total{code=\"forbidden\",verb=\"enroll\"}"))
        .isEqualTo(2);
    assertThat(metrics.value("copilot_key_manager_refusals_total{code=\"invalid_field\",verb=\"enroll\"}"))
        .isEqualTo(1);
    assertThat(metrics.value("copilot_key_manager_refusals_total{code=\"internal\",verb=\"enroll\"}"))
        .as("every error answer counts, whatever its code").isEqualTo(1);
  }

  @Test
  void issue6_anExpiredTokenAndATokenSealedForAnotherKeyAreRefused() throws Exception {
    String token = tokens.create(Role.AGENT, 1, Duration.ofMinutes(10)).get(0);
    time.advance(Duration.ofMinutes(11));
    InMemoryNetwork.Endpoint agent = component("agent-1@test/vm", null);
    assertThatThrownBy(() -> new Enrollment(agent, keyManager, TIMEOUT, time, RETRY).enroll("agent-1", token))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("expired");

    String fresh = tokens.create(Role.AGENT, 1, Duration.ofMinutes(10)).get(0);
    CertificateAuthority other = CertificateAuthority.create(dir.resolve("other"), "pw".toCharArray(), time.clock());
    var r = agent.call(keyManager, new Enroll(MessageIds.next(), time.clock().instant(), "agent-1",
        agent.security().seal(fresh, other.certificate(), Enrollment.TOKEN_PURPOSE),
        Enrollment.csr("agent-1", org.cernvm.copilot.protocol.security.Certificates.newKeyPair())), TIMEOUT);
    assertThat(r.reply()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
  }

  @Test
  void issue6_aComponentKeepsItsCertificateAcrossRestartsRenewsItAndFetchesRevocations() throws Exception {
    Path keep = dir.resolve("agent-keys");
    String token = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);
    InMemoryNetwork.Endpoint first = component("agent-1@test/vm", keep);
    Credentials c1 = new Enrollment(first, keyManager, TIMEOUT, time, RETRY).ensure("agent-1", token);
    first.close();

    // Restarted, with no token: the kept certificate is used as it is.
    InMemoryNetwork.Endpoint restarted = component("agent-1@test/vm", keep);
    Enrollment enrollment = new Enrollment(restarted, keyManager, TIMEOUT, time, RETRY);
    assertThat(enrollment.ensure("agent-1", null).certificate()).isEqualTo(c1.certificate());

    // Past two thirds of its life, the certificate is renewed for a new key, signed with the old one.
    time.advance(Duration.ofHours(17));
    Credentials c2 = enrollment.ensure("agent-1", null);
    assertThat(c2.certificate().getSerialNumber()).isNotEqualTo(c1.certificate().getSerialNumber());
    assertThat(c2.key()).isNotEqualTo(c1.key());
    assertThat(c2.role()).isEqualTo(Role.AGENT);
    assertThat(Keyring.open(keep).current().orElseThrow().certificate()).isEqualTo(c2.certificate());

    ca.revoke(c1.certificate().getSerialNumber());
    assertThat(enrollment.refreshRevocations().isRevoked(c1.certificate())).isTrue();
    assertThat(restarted.security().authority().crl().orElseThrow().isRevoked(c2.certificate())).isFalse();

    // Expired and without a token, a component cannot get back in.
    time.advance(Duration.ofHours(30));
    assertThatThrownBy(() -> enrollment.ensure("agent-1", null)).isInstanceOf(EnrollmentException.class)
        .hasMessageContaining("no enrollment token");
  }

  @Test
  void issue6_theKeyManagerRenewsItsOwnCertificate() throws Exception {
    Credentials before = keyManagerEndpoint.security().keyring().current().orElseThrow();
    time.advance(Duration.ofHours(17));
    service.upkeep();
    Credentials after = keyManagerEndpoint.security().keyring().current().orElseThrow();
    assertThat(after.certificate().getSerialNumber()).isNotEqualTo(before.certificate().getSerialNumber());
    assertThat(after.certificate().getNotAfter()).isAfter(before.certificate().getNotAfter());
    assertThat(after.name()).isEqualTo(before.name());
    // Answers are signed with the renewed certificate, which receivers accept.
    InMemoryNetwork.Endpoint agent = component("agent-2@test/vm", null);
    String token = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);
    assertThat(new Enrollment(agent, keyManager, TIMEOUT, time, RETRY).enroll("agent-2", token).name())
        .isEqualTo("agent-2");
  }

  @Test
  void issue16_aComponentWhoseEnrolledAnswerWasLostEnrollsWithItsTokenAndGetsTheCertificateIssuedFirst()
      throws Exception {
    String token = tokens.create(Role.JOB_MANAGER, 1, Duration.ofHours(1)).get(0);
    LosingBus jm = new LosingBus(component("jobmanager@test/jm-1", null), 1);
    CompletableFuture<Credentials> enrolled = new Enrollment(jm, keyManager, TIMEOUT, time, RETRY)
        .enrollAsync("jobmanager", token);
    // The key manager spent the token and answered; the answer never arrived.
    assertThat(jm.lost).singleElement().isInstanceOf(Enrolled.class);
    assertThat(enrolled).isNotDone();

    time.advance(TIMEOUT.plusSeconds(1));

    Credentials c = enrolled.get();
    assertThat(c.role()).isEqualTo(Role.JOB_MANAGER);
    assertThat(Pem.of(c.certificate())).isEqualTo(((Enrolled) jm.lost.get(0)).certificate());
    assertThat(jm.security().keyring().current()).contains(c);

    // Another process with the same token makes another key: that is another use, refused.
    InMemoryNetwork.Endpoint other = component("jobmanager@test/jm-2", null);
    assertThatThrownBy(() -> new Enrollment(other, keyManager, TIMEOUT, time, RETRY).enroll("jobmanager", token))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");
  }

  /**
   * A component's bus whose first {@code toLose} answers never arrive: the request reaches the key manager,
   * which answers, and the component times out as if the answer had been lost on the way.
   */
  private final class LosingBus implements Bus {
    private final InMemoryNetwork.Endpoint bus;
    private int toLose;
    final List<Reply> lost = new ArrayList<>();

    LosingBus(InMemoryNetwork.Endpoint bus, int toLose) {
      this.bus = bus;
      this.toLose = toLose;
    }

    @Override
    public CompletableFuture<Response> request(Address to, Request request, Duration timeout) {
      if (toLose == 0) {
        return bus.request(to, request, timeout);
      }
      toLose--;
      bus.request(to, request, timeout).thenAccept(r -> lost.add(r.reply()));
      CompletableFuture<Response> never = new CompletableFuture<>();
      time.schedule(timeout, () -> never.completeExceptionally(
          new RequestTimeoutException(request.verb().wireName(), request.id(), to, timeout)));
      return never;
    }

    @Override
    public Address self() {
      return bus.self();
    }

    @Override
    public MessageSecurity security() {
      return bus.security();
    }

    @Override
    public boolean isConnected() {
      return bus.isConnected();
    }

    @Override
    public void send(Address to, Message message) throws BusException {
      bus.send(to, message);
    }

    @Override
    public void subscribe(MessageHandler handler) {
      bus.subscribe(handler);
    }

    @Override
    public void close() {
      bus.close();
    }
  }
}
