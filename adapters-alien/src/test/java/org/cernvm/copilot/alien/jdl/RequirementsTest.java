package org.cernvm.copilot.alien.jdl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequirementsTest {
  @Test
  void issue5_requirementsAreMatchedAgainstAnOffer() throws Exception {
    Expr production = Jdl.parse(JdlTest.PRODUCTION).requirements();
    Map<String, Object> offer = Map.of("ttl", 80000, "price", 12, "packages",
        List.of("VO_ALICE@AliDPG::prod-202110-01-1", "VO_ALICE@AliPhysics::v5-09-56f-01-1"));
    assertThat(Requirements.hold(production, offer)).isTrue();
    assertThat(Requirements.hold(production, Map.of("ttl", 70000, "price", 12, "packages", offer.get("packages"))))
        .isFalse();
    assertThat(Requirements.hold(production, Map.of("ttl", 80000, "price", 12, "packages", List.of()))).isFalse();
    assertThat(Requirements.hold(production, Map.of("ttl", 80000))).isFalse();

    Expr analysis = Jdl.parse(Jdl.applyArguments(JdlTest.ANALYSIS, List.of("x"))).requirements();
    assertThat(Requirements.hold(analysis, Map.of("ce", "ALICE::CERN::Copilot", "ttl", 10))).isTrue();
    assertThat(Requirements.hold(analysis, Map.of("ce", "ALICE::FZK::CE", "ttl", 7200))).isTrue();
    assertThat(Requirements.hold(analysis, Map.of("ce", "ALICE::FZK::CE", "ttl", 60))).isFalse();
    assertThat(Requirements.hold(null, Map.of())).isTrue();
  }
}
