package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-command demo on the embedded XMPP server. */
class DemoTest {
  @TempDir Path dir;

  @Test
  void everyJobPassesAndIsVerifiedFromItsOutputFile() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Demo.Result result =
        new Demo(3, 8, Duration.ofMinutes(2), JobManagerConfig.Dispatch.HANDSHAKE, dir, out).run();
    assertThat(result.passed()).isEqualTo(8);
    assertThat(result.failed()).isZero();
    // every output and every job's log tarball went through the storage adapter, verified once; the one
    // rejected upload is the attacker's tampered grant.
    assertThat(result.storage().verified()).isEqualTo(16);
    assertThat(result.storage().rejected()).isEqualTo(1);
    assertThat(result.storage().registrations()).isEqualTo(8);
    // every attempt of the built-in attacker was rejected with the right error.
    assertThat(result.security().accepted()).isEmpty();
    assertThat(result.security().rejected()).isEqualTo(Attacker.ATTEMPTS);
    assertThat(result.securityLine()).isEqualTo("security: 13 rejected attempts, 0 accepted");
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("demo: 8/8 jobs ended (8 done, 0 failed)");
  }

  @Test
  void issue17_evgenJobsThenADerivationStagingTheirEvntFilesInEndWithTheDileptonMassPeakingAtTheZ() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Demo.Result result = new Demo(2, 4, Duration.ofMinutes(3), JobManagerConfig.Dispatch.HANDSHAKE, dir,
        new PrintStream(bytes, true, StandardCharsets.UTF_8), Demo.Kind.EVGEN).run();
    // Four evgen jobs of 1000 events, then one derivation job over their four EVNT files; 1 GeV bins, so the
    // highest holds the Z mass, 91.19 GeV, or is next to that one.
    assertThat(result.closingLine()).as(bytes.toString(StandardCharsets.UTF_8))
        .matches("evgen: 4 finished, 0 failed; derivation: 1 finished, 0 failed; m_ll peaks at 9[012]\\.5 GeV over 4000 events");
    assertThat(result.failed()).isZero();
    // Each job's output and log tarball.
    assertThat(result.storage().verified()).isEqualTo(10);
    assertThat(result.storage().rejected()).isEqualTo(1);
    assertThat(result.security().accepted()).isEmpty();
  }

  @Test
  void issue5_aliceProductionSubjobsFromFakeAlienEndDoneWithTheirOutputsInTheCatalogue() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Demo.Result result = new Demo(2, 4, Duration.ofMinutes(2), JobManagerConfig.Dispatch.HANDSHAKE, dir,
        new PrintStream(bytes, true, StandardCharsets.UTF_8), Demo.Kind.ALIEN).run();
    assertThat(result.closingLine()).as(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("alien: 4 done, 0 failed");
    assertThat(result.storage().verified()).isEqualTo(12);
  }

  @Test
  void directDispatchWorksToo() throws Exception {
    Demo.Result result = new Demo(2, 4, Duration.ofMinutes(2), JobManagerConfig.Dispatch.DIRECT, dir,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    assertThat(result.passed()).isEqualTo(4);
    assertThat(result.storage().verified()).isEqualTo(8);
  }

  @Test
  void badOptionsGetAClearErrorAndExitCode2() {
    assertThat(Copilot.run("demo", "--agents", "0")).isEqualTo(2);
    assertThat(Copilot.run("demo", "--dispatch", "sideways")).isEqualTo(2);
  }
}
