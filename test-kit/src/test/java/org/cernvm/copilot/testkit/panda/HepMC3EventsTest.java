package org.cernvm.copilot.testkit.panda;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's structural check of HepMC3 files: declared counts against what follows, and conservation. */
class HepMC3EventsTest {
  private static final String HEAD = "HepMC::Version 3.01.02\nHepMC::Asciiv3-START_EVENT_LISTING\n";
  private static final String END = "HepMC::Asciiv3-END_EVENT_LISTING\n";
  /** Beams 1 and 2 annihilate at an explicit vertex into particle 3, which decays at an implicit one. */
  private static final String EVENT = """
      E 5 2 5
      U GEV MM
      P 1 0 2 0 0 100 100 0 4
      P 2 0 -2 0 0 -50 50 0 4
      V -1 0 [1,2]
      P 3 -1 23 0 0 50 150 141.4213562373095 2
      P 4 3 11 30 0 40 50 0 1
      P 5 3 -11 -30 0 10 100 0 1
      """;

  @TempDir Path dir;

  private HepMC3Events.Summary check(String text) throws Exception {
    Path file = dir.resolve("EVNT");
    Files.writeString(file, text);
    return HepMC3Events.check(file);
  }

  @Test
  void eventsWithTheirDeclaredVerticesAndConservedMomentumPass() throws Exception {
    assertThat(check(HEAD + EVENT + EVENT.replace("E 5", "E 6") + END)).isEqualTo(new HepMC3Events.Summary(2, null));
  }

  @Test
  void anEventDeclaringMoreVerticesThanItHoldsFails() throws Exception {
    // As the stand-in wrote before the HepMC3 library read it: E declared 3 vertices and 2 followed.
    HepMC3Events.Summary s = check(HEAD + EVENT.replace("E 5 2 5", "E 5 3 5") + END);
    assertThat(s.problem()).contains("declares 3 vertices and 5 particles but holds 2 and 5");
  }

  @Test
  void momentumNotConservedAtAVertexFails() throws Exception {
    HepMC3Events.Summary s = check(HEAD + EVENT.replace("P 5 3 -11 -30 0 10 100", "P 5 3 -11 -30 0 10 99") + END);
    assertThat(s.problem()).contains("does not conserve four-momentum");
  }

  @Test
  void aTruncatedFileFails() throws Exception {
    assertThat(check(HEAD + EVENT).problem()).contains("end-of-listing");
    assertThat(check(HEAD + EVENT.substring(0, EVENT.indexOf("P 3"))).problem()).isNotNull();
  }
}
