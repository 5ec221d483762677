package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.testbed.EvgenWorkload;
import org.junit.jupiter.api.Test;

/**
 * End to end against a real XMPP server (each subclass's own): evgen jobs submitted to the fake PanDA server, taken by the
 * PanDA adapter in a job manager, run by agents as the stand-in Generate_tf.py, their EVNT files stored and
 * verified by the storage adapter and reported finished to PanDA; each file is re-read and checked.
 */
abstract class EvgenOverXmpp extends OverXmpp {
  /** The tests on {@code xmpp}. */
  EvgenOverXmpp(XmppServer xmpp) {
    super(xmpp);
  }

  @Test
  void issue4_twentyEvgenJobsFinishInPandaWithTheirEventsStoredAndVerified() throws Exception {
    EvgenWorkload workload = new EvgenWorkload(dir, 20, 300, scheduler.clock());
    closeables.add(workload);

    StorageAdapter storage = startStorage();
    startJobManager(workload.source(), "20s");
    startAgents(3);

    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
        .until(() -> workload.progress().allEnded());
    ByteArrayOutputStream problems = new ByteArrayOutputStream();
    int passed = workload.verify(new PrintStream(problems, true, StandardCharsets.UTF_8));
    assertThat(passed).as(problems.toString(StandardCharsets.UTF_8)).isEqualTo(20);
    assertThat(workload.closingLine(passed, 20 - passed)).isEqualTo("evgen: 20 finished, 0 failed");
    // Each job's EVNT file and its log tarball.
    assertThat(storage.stats().verified()).isEqualTo(40);
    assertThat(storage.stats().rejected()).isZero();
  }
}
