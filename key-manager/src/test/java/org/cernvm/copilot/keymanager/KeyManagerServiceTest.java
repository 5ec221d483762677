package org.cernvm.copilot.keymanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enrollment over the bus: a component gets a certificate for its own key with a one-time token. */
class KeyManagerServiceTest {
  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final Address keyManager = Address.of("keymanager@test");

  @Test
  void issue6_anAgentEnrollsWithItsTokenOnceAndOnlyUnderItsOwnName() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(dir.resolve("ca"), "pw".toCharArray(), time.clock());
    EnrollmentTokens tokens = new EnrollmentTokens(dir.resolve("ca/tokens.json"), time.clock());
    KeyManager km = new KeyManager(ca, tokens, time.clock(), Duration.ofHours(24));
    KeyManagerService.start(km, net.connect("keymanager@test/km-1"), time.clock());
    String token = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);

    InMemoryNetwork.Endpoint agent = net.connect("agent-7@test/vm");
    Enrollment e = Enrollment.request(agent, keyManager, "agent-7", token, Duration.ofSeconds(5), time.clock());
    assertThat(e.certificate().getPublicKey()).isEqualTo(e.keys().getPublic());
    assertThat(e.ca()).isEqualTo(ca.certificate());
    assertThat(km.verify(e.certificate())).isEqualTo(Role.AGENT);
    assertThat(e.certificate().getSubjectX500Principal().getName()).contains("CN=agent-7");

    assertThatThrownBy(() -> Enrollment.request(agent, keyManager, "agent-7", token, Duration.ofSeconds(5),
        time.clock())).isInstanceOf(EnrollmentException.class).hasMessageContaining("already used");

    String second = tokens.create(Role.AGENT, 1, Duration.ofHours(1)).get(0);
    assertThatThrownBy(() -> Enrollment.request(agent, keyManager, "agent-8", second, Duration.ofSeconds(5),
        time.clock())).isInstanceOf(EnrollmentException.class).hasMessageContaining("may not enroll as agent-8");
    // The refused attempt did not spend the token.
    assertThat(Enrollment.request(agent, keyManager, "agent-7", second, Duration.ofSeconds(5), time.clock())
        .certificate()).isNotNull();

    var bad = agent.call(keyManager, new Enroll(MessageIds.next(), time.clock().instant(), "agent-7", "x", "not a csr"),
        Duration.ofSeconds(5));
    assertThat(bad.reply()).isInstanceOfSatisfying(ErrorReply.class,
        r -> assertThat(r.code()).isEqualTo(ErrorCode.INVALID_FIELD));
    assertThat(new Enroll("m", time.clock().instant(), "a", "secret-token", "csr").toString())
        .doesNotContain("secret-token");
  }
}
