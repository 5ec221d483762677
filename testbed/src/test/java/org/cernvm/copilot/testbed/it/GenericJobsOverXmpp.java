package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.GetJob;
import org.cernvm.copilot.protocol.HaveGetJob;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.RunJob;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Against a real XMPP server, each subclass's own: two job managers and three agents share generic
 * jobs, whose outputs go through a storage adapter, every job done exactly once.
 */
abstract class GenericJobsOverXmpp extends OverXmpp {
  GenericJobsOverXmpp(XmppServer xmpp) {
    super(xmpp);
  }

  @BeforeEach
  void setUp() throws Exception {
    StorageConfig config = StorageConfig.from(Settings.of(Map.of("storage.service", storage(),
        "storage.job-managers", service(), "storage.port", "0", "storage.root", dir.resolve("se").toString(),
        "storage.grant-key-file", dir.resolve("grant.key").toString())), XmppServer.DOMAIN);
    StorageBackend backend = StorageBackend.from(config);
    closeables.add(backend);
    closeables.add(StorageAdapter.start(config, connect("storage", "sa-1"), backend, scheduler.clock()));
  }

  private String storage() {
    return address("storage");
  }

  private String service() {
    return address("jobmanager");
  }

  private void startJobManager(String resource) throws Exception {
    JobManagerConfig config = JobManagerConfig.from(Settings.of(Map.of("job-manager.service", service(),
        "job-manager.storage", storage(), "job-manager.lease", "6s", "job-manager.sweep-interval", "1s",
        "job-manager.ticket-key-file", ticketKey().toString())),
        XmppServer.DOMAIN);
    JobManager jm = new JobManager(config, connect("jobmanager", resource), queue, scheduler);
    jm.start();
    closeables.add(jm);
  }

  private Map<String, String> agentSettings() {
    return Map.of("agent.job-manager", service(), "agent.storage", storage(), "agent.cores", "1",
        "agent.work-dir", dir.resolve("work").toString(), "agent.idle-backoff-min", "100ms",
        "agent.idle-backoff-max", "500ms", "agent.request-timeout", "2s", "agent.kill-grace", "1s");
  }

  private void startAgent(String name) throws Exception {
    XmppBus bus = connect(name, "vm");
    Agent agent = new Agent(AgentConfig.from(Settings.of(agentSettings()), bus.self().local(), XmppServer.DOMAIN), bus,
        scheduler, workers);
    agent.start();
    closeables.add(agent);
  }

  private String recordingJob(String extra) {
    return "echo $COPILOT_JOB_ID >> " + dir.resolve("ran.log") + "; " + extra + " echo $COPILOT_JOB_ID > out.txt";
  }

  @Test
  void twoJobManagersAndThreeAgentsRunFiftyJobsEachExactlyOnce() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      ids.add(queue.submit(NewJob.of("sh", "-c", recordingJob("")).withOutputs("out.txt")));
    }
    startJobManager("jm-1");
    startJobManager("jm-2");
    for (int a = 1; a <= 3; a++) {
      startAgent("agent-" + a);
    }
    await().atMost(Duration.ofMinutes(3)).until(() -> queue.counts().get(JobStatus.DONE) == 50);

    Map<String, Long> runs = Files.readAllLines(dir.resolve("ran.log")).stream()
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(runs.values()).allMatch(n -> n == 1);
    for (QueuedJob job : queue.list()) {
      assertThat(job.epoch()).isEqualTo(1);
      // Its output and its log tarball, both stored.
      assertThat(job.outputs()).extracting(OutputFile::name).containsExactly("out.txt", "log." + job.jobId() + ".tgz");
      assertThat(job.stored()).extracting(f -> f.file()).isEqualTo(job.outputs());
    }
    assertThat(queue.list().stream().map(QueuedJob::agentId).distinct()).hasSizeGreaterThan(1);
  }

  @Test
  void anAgentKilledMidJobHasItsJobRerunElsewhereAndCompletedOnce() throws Exception {
    startJobManager("jm-1");
    String id = queue.submit(NewJob.of("sh", "-c", recordingJob("sleep 4;")).withOutputs("out.txt"));

    // The first agent is a separate OS process, started through the real command line and killed -9.
    Path jar = Path.of("target", "copilot.jar").toAbsolutePath();
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(), "agent"));
    Map<String, String> set = new java.util.LinkedHashMap<>(agentSettings());
    set.put("xmpp.port", Integer.toString(xmpp.port()));
    set.put("xmpp.user", xmpp.user("victim"));
    set.put("xmpp.password", "pw-victim");
    set.put("xmpp.register", "true");
    set.put("security.ca", xmpp.caPem().toString());
    set.put("security.key-manager", address("keymanager"));
    set.forEach((k, v) -> cmd.addAll(List.of("--set", k + "=" + v)));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    // As on a VM: the token comes in the environment, not on the command line.
    pb.environment().put("COPILOT_SECURITY_TOKEN", token(Role.AGENT));
    Process victim = pb.redirectErrorStream(true)
        .redirectOutput(dir.resolve("victim.log").toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> queue.get(id).orElseThrow().status() == JobStatus.LEASED);
      assertThat(queue.get(id).orElseThrow().agentId()).isEqualTo(xmpp.user("victim"));
    } finally {
      victim.destroyForcibly().waitFor();
    }

    startAgent("rescuer");
    await().atMost(Duration.ofSeconds(60)).until(() -> queue.get(id).orElseThrow().status().isTerminal());
    QueuedJob job = queue.get(id).orElseThrow();
    assertThat(job.status()).isEqualTo(JobStatus.DONE);
    assertThat(job.epoch()).isEqualTo(2);
    assertThat(job.agentId()).isEqualTo(xmpp.user("rescuer"));
    assertThat(job.history().stream().filter(h -> h.contains(" DONE"))).hasSize(1);
  }

  @Test
  void aLateJobDoneFromAFencedEpochIsRejected() throws Exception {
    startJobManager("jm-1");
    String id = queue.submit(NewJob.of("sh", "-c", recordingJob("")).withOutputs("out.txt"));

    // A raw client plays an agent that claims the job and then goes silent.
    XmppBus stale = connect("stale", "vm");
    String staleId = stale.self().local();
    Resources slot = new Resources(1, 1024, 1024, Duration.ofHours(1), "x86_64-linux", List.of());
    Response have = stale.call(Address.of(service()), new WantGetJob(MessageIds.next(), Instant.now(), staleId, slot),
        Duration.ofSeconds(5));
    assertThat(have.reply()).isInstanceOf(HaveGetJob.class);
    RunJob run = (RunJob) stale.call(have.from(), new GetJob(MessageIds.next(), Instant.now(), staleId, slot),
        Duration.ofSeconds(5)).reply();

    startAgent("agent-1");
    await().atMost(Duration.ofSeconds(60)).until(() -> queue.get(id).orElseThrow().status() == JobStatus.DONE);
    assertThat(queue.get(id).orElseThrow().epoch()).isEqualTo(2);

    JobDone late = new JobDone(MessageIds.next(), Instant.now(), staleId, id, run.lease().ref(), Outcome.FAILED, FailureKind.PAYLOAD, 1,
        "late", Usage.none(), PayloadReport.UNKNOWN, List.of(), run.ticket().job());
    Response answer = stale.call(Address.of(service()), late, Duration.ofSeconds(5));
    assertThat(answer.reply()).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.FENCED);
      assertThat(e.retryable()).isFalse();
    });
    QueuedJob job = queue.get(id).orElseThrow();
    assertThat(job.status()).isEqualTo(JobStatus.DONE);
    assertThat(job.outcome()).isEqualTo(Outcome.SUCCEEDED);
  }
}
