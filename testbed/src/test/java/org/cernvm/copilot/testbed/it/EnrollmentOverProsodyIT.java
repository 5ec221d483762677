package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.cernvm.copilot.keymanager.CertificateAuthority;
import org.cernvm.copilot.keymanager.Enrollment;
import org.cernvm.copilot.keymanager.EnrollmentException;
import org.cernvm.copilot.keymanager.EnrollmentTokens;
import org.cernvm.copilot.keymanager.KeyManager;
import org.cernvm.copilot.keymanager.KeyManagerService;
import org.cernvm.copilot.keymanager.Role;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.junit.jupiter.api.Test;

/** Issue 6, first part, against a real Prosody: agents enroll with one-time tokens. */
class EnrollmentOverProsodyIT extends OverProsody {
  @Test
  void issue6_agentsEnrollOverXmppWithOneTimeTokens() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(dir.resolve("ca"), "pw".toCharArray(), scheduler.clock());
    EnrollmentTokens tokens = new EnrollmentTokens(dir.resolve("ca/tokens.json"), scheduler.clock());
    KeyManager km = new KeyManager(ca, tokens, scheduler.clock(), Duration.ofHours(24));
    KeyManagerService.start(km, connect("keymanager", "km-1"), scheduler.clock());
    var issued = tokens.create(Role.AGENT, 2, Duration.ofHours(1));

    Address service = Address.of(address("keymanager"));
    for (int i = 0; i < 2; i++) {
      XmppBus agent = connect("agent-" + i, "vm");
      Enrollment e = Enrollment.request(agent, service, agent.self().local(), issued.get(i), Duration.ofSeconds(10),
          scheduler.clock());
      assertThat(km.verify(e.certificate())).isEqualTo(Role.AGENT);
      assertThat(e.certificate().getSubjectX500Principal().getName()).contains("CN=" + agent.self().local());
    }
    XmppBus thief = connect("thief", "vm");
    assertThatThrownBy(() -> Enrollment.request(thief, service, thief.self().local(), issued.get(0),
        Duration.ofSeconds(10), scheduler.clock())).isInstanceOf(EnrollmentException.class)
        .hasMessageContaining("already used");
  }
}
