package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short chaos run of processes of the suite, on the Prosody of {@code scripts/prosody-up}
 * (127.0.0.1:15222, or {@code COPILOT_TEST_XMPP_PORT} and {@code COPILOT_PROSODY_DIR}): the key manager,
 * the storage adapter, two job managers and two agents each a JVM of its own, killed with SIGKILL and
 * started again; {@code copilot chaos --processes} runs the long one.
 */
class ChaosProcessesIT {
  private static final int PORT = Integer.parseInt(System.getenv().getOrDefault("COPILOT_TEST_XMPP_PORT", "15222"));
  private static final Path PROSODY = Path.of(System.getenv().getOrDefault("COPILOT_PROSODY_DIR",
      System.getenv().getOrDefault("TMPDIR", "/tmp") + "/copilot-prosody-" + PORT));
  private static final int JOBS = 30;

  @TempDir Path dir;

  @BeforeEach
  void prosodyListens() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", PORT), 2000);
    } catch (IOException e) {
      throw new IllegalStateException("no XMPP server on 127.0.0.1:" + PORT
          + ": start Prosody with scripts/prosody-up (./copilot test does)", e);
    }
  }

  @Test
  void issue7_jobsRunThroughSigkilledAgentsJobManagersAndStorageWithNoneLostOrDuplicatedAndNoProcessLeft()
      throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    // The seed puts the agent's kill first in the round, while jobs still run.
    Chaos.Options options = new Chaos.Options(JOBS, 10_000, Duration.ofSeconds(15), 2, 2, Duration.ofSeconds(3),
        Duration.ofMinutes(2), 20261202L, dir, new Chaos.XmppServer("127.0.0.1", PORT, PROSODY));
    Chaos.Result result;
    try {
      result = new Chaos(options, out, Clock.systemUTC()).run();
    } finally {
      System.out.print(log.toString(StandardCharsets.UTF_8));
    }

    assertThat(result.faults()).containsOnlyKeys(Chaos.Fault.KILL_AGENT, Chaos.Fault.KILL_JOB_MANAGER,
        Chaos.Fault.KILL_STORAGE);
    assertThat(result.faults().values()).allSatisfy(n -> assertThat(n).isPositive());
    assertThat(result.lost()).isEmpty();
    assertThat(result.duplicated()).isEmpty();
    assertThat(result.finished() + result.failedWithTheirAgent() + result.failedInDispatch()).isEqualTo(JOBS);
    assertThat(result.closingLine()).isEqualTo("chaos: " + JOBS + " jobs, 0 lost, 0 duplicated");
    // Each restarted job manager and storage adapter refused the probe's replay of a message it had
    // accepted before it was killed, within the signature window.
    assertThat(result.replaysAccepted()).isEmpty();
    assertThat(result.replaysRefused())
        .isEqualTo(result.faults().get(Chaos.Fault.KILL_JOB_MANAGER) + result.faults().get(Chaos.Fault.KILL_STORAGE));
    // Found from /proc, not from the run's own list: no JVM it started (each works in the run's log
    // directory and names the run's directory in its arguments), and no payload (each works in its job's
    // directory under the run's) is still running.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(LiveProcesses.under(dir)).isEmpty();
          assertThat(naming(dir)).isEmpty();
        });
  }

  /** The running processes other than this one whose arguments name {@code dir}. */
  private static List<String> naming(Path dir) {
    String d = dir.toString();
    return ProcessHandle.allProcesses()
        .filter(p -> p.pid() != ProcessHandle.current().pid() && LiveProcesses.running(p))
        .filter(p -> p.info().arguments().map(a -> Arrays.stream(a).anyMatch(x -> x.contains(d))).orElse(false))
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
        .toList();
  }
}
