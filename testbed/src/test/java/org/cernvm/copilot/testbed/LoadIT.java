package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short version of {@code copilot load}: simulated agents against one and then two job-manager
 * processes on the embedded server; every job is done exactly once in each round, and the figures, the CSV
 * and the plot come out; and a round on the queue in PostgreSQL ({@code scripts/postgres-up}) whose payloads
 * take their time. (Its jar is the packaged one, so this runs after {@code package}.)
 */
class LoadIT {
  @TempDir Path dir;

  private static final Duration LATENCY = Duration.ofMillis(100);

  @Test
  void aRoundOnAPostgresqlQueueWithAJobTimeRunsEveryJobOnceAndWaitsEachPayloadsTime() throws Exception {
    Duration jobTime = Duration.ofMillis(200);
    int agents = 8;
    int jobs = 100;
    JobQueue.Location database = new JobQueue.Location(null, "jdbc:postgresql://127.0.0.1:15432/copilot", "copilot",
        "copilot", 2);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LoadRun.Report report = load(new LoadRun.Options(agents, List.of(1), jobs, LATENCY, Duration.ofMinutes(3), jobTime,
        database), bytes);
    String printed = bytes.toString(StandardCharsets.UTF_8);
    LoadRun.Round r = report.rounds().get(0);
    assertThat(r.finished()).as(printed).isEqualTo(jobs);
    assertThat(r.duplicates()).isZero();
    assertThat(r.failures()).isZero();
    // Each agent runs one payload at a time, so the jobs take at least their time over the agents.
    assertThat(r.seconds()).as(printed).isGreaterThanOrEqualTo(jobs * jobTime.toMillis() / 1000.0 / agents);
    assertThat(Files.readAllLines(report.csv()).get(1)).startsWith(agents + ",100,200,1,");
  }

  @Test
  void issue7_aShortLoadRunFinishesEveryJobOnceWithOneAndTwoJobManagers() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LoadRun.Report report = load(new LoadRun.Options(16, List.of(1, 2), 200, LATENCY, Duration.ofMinutes(3),
        Duration.ZERO, null), bytes);
    String printed = bytes.toString(StandardCharsets.UTF_8);
    assertThat(report.rounds()).hasSize(2);
    for (LoadRun.Round r : report.rounds()) {
      assertThat(r.finished()).as(printed).isEqualTo(200);
      assertThat(r.duplicates()).isZero();
      assertThat(r.failures()).isZero();
      assertThat(r.jobsPerSecond()).isPositive();
      assertThat(r.p99Ms()).isGreaterThanOrEqualTo(r.p50Ms()).isPositive();
      assertThat(r.jmCpuMsPerJob()).isPositive();
      // A signed or MACed, JSON-encoded message whose job is kept durably cannot cost less than a bare stanza.
      assertThat(r.costRatio()).as(printed).isGreaterThan(1);
    }
    assertThat(report.raw().messagesPerSecond()).isGreaterThan(100);
    assertThat(report.raw().cpuMsPerMessage()).isPositive();
    for (LoadRun.Round r : report.rounds()) {
      // Claims in bulk from a prefetch: fewer upstream calls than the claim and the report per job that a
      // job manager without one makes, and the round takes less than one upstream round trip per job.
      assertThat(r.upstreamCallsPerJob()).as(printed).isPositive().isLessThan(2);
      assertThat(r.seconds()).as(printed).isLessThan(200 * LATENCY.toMillis() / 1000.0);
    }
    // Slots claim from the job manager of their last job directly, so most jobs cost four messages, not the
    // 2 × 2 + 4 of a broadcast with two job managers.
    assertThat(report.rounds().get(1).messagesPerJob()).as(printed).isLessThan(6.5);
    assertThat(Files.readAllLines(report.csv())).hasSize(3).first().asString().startsWith("agents,upstream_latency_ms,job_time_ms,job_managers,jobs,");
    byte[] png = Files.readAllBytes(report.png());
    assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    assertThat(printed).contains("raw XMPP ceiling").contains("ms of machine CPU per message")
        .contains("1 job manager(s): 200/200 jobs").contains("a message costs")
        .contains("2 job manager(s): 200/200 jobs").contains("memory per agent connection").contains("prefetch depth")
        .contains("upstream calls/job");
  }

  /** Runs {@code options} on an embedded server with its own key manager; what it prints goes to {@code out}. */
  private LoadRun.Report load(LoadRun.Options options, ByteArrayOutputStream out) throws Exception {
    List<AutoCloseable> stack = new ArrayList<>();
    try (Services services = new Services("load-test", 8)) {
      Pki pki = Pki.create(dir.resolve("ca"), services, "keymanager", Duration.ofMinutes(5));
      EmbeddedXmppServer server = EmbeddedXmppServer.start(Demo.DOMAIN, pki.ca.issueServer(
          List.of(Demo.DOMAIN, "127.0.0.1"), Duration.ofDays(1)), pki.ca.certificate(), dir);
      stack.add(server);
      pki.serve(server, stack);
      return new LoadRun(options, pki, server, dir, new PrintStream(out, true, StandardCharsets.UTF_8)).run();
    } finally {
      for (int i = stack.size() - 1; i >= 0; i--) {
        stack.get(i).close();
      }
    }
  }
}
