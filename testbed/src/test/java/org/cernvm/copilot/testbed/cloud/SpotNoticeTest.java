package org.cernvm.copilot.testkit.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.agent.Shutdown;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.bus.InMemoryNetwork;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent that finds a spot notice at the (fake) metadata service stops taking work, lets the job
 * that fits in the notice finish, and hands back the one that does not; that job runs again on another
 * agent, under a new epoch, and is done once.
 */
class SpotNoticeTest {
  @TempDir Path dir;
  private final TestPki pki = new TestPki(Clock.systemUTC());
  private ScheduledExecutorService timers;
  private ExecutorService workers;
  private Scheduler scheduler;
  private InMemoryNetwork net;
  private GenericQueue queue;
  private JobManager jobManager;
  private FakeMetadataService metadata;
  private StorageAdapter storage;

  @BeforeEach
  void setUp() throws Exception {
    timers = Executors.newSingleThreadScheduledExecutor();
    workers = Executors.newCachedThreadPool();
    scheduler = Scheduler.system(timers);
    net = new InMemoryNetwork(scheduler, workers);
    queue = GenericQueue.open(dir.resolve("queue"), scheduler.clock(), 3);
    jobManager = new JobManager(JobManagerConfig.from(Settings.of(Map.of("job-manager.service", "jobmanager@test",
        "job-manager.lease", "3s", "job-manager.ticket-key-file", dir.resolve("ticket.key").toString())), "test"),
        pki.connect(net, "jobmanager@test/jm-1", Role.JOB_MANAGER), queue, scheduler);
    jobManager.start();
    metadata = FakeMetadataService.start(0).requireTokens();
    // The storage adapter every job's log tarball goes to.
    storage = StorageAdapter.start(StorageConfig.from(Settings.of(Map.of("storage.port", "0",
        "storage.root", dir.resolve("se").toString(), "storage.grant-key-file", dir.resolve("grant.key").toString())),
        "test"), pki.connect(net, "storage@test/sa-1", Role.STORAGE), StorageBackend.filesystem(dir.resolve("se")),
        scheduler.clock());
  }

  @AfterEach
  void tearDown() {
    storage.close();
    jobManager.close();
    metadata.close();
    workers.shutdownNow();
    timers.shutdownNow();
  }

  private Agent agent(String name, int cores, String... extra) {
    Map<String, String> settings = new HashMap<>(Map.of(
        "agent.cores", Integer.toString(cores),
        "agent.work-dir", dir.resolve("work").toString(),
        "agent.idle-backoff-min", "100ms",
        "agent.idle-backoff-max", "300ms",
        "agent.request-timeout", "1s",
        "agent.kill-grace", "1s",
        "agent.idle-shutdown", "never"));
    for (int i = 0; i < extra.length; i += 2) {
      settings.put(extra[i], extra[i + 1]);
    }
    Agent a = new Agent(AgentConfig.from(Settings.of(settings), name, "test"),
        pki.connect(net, name + "@test/vm", Role.AGENT), scheduler, workers);
    a.start();
    return a;
  }

  @Test
  void issue8_aSpotNoticeDuringAJobEndsWithTheJobRequeuedAndCompletedElsewhere() throws Exception {
    // Long on the preempted VM only, so that the run elsewhere ends at once.
    String handedBack = queue.submit(NewJob.of("sh", "-c", "if [ \"$COPILOT_AGENT_ID\" = vm-a ]; then sleep 60; fi"));
    String fits = queue.submit(NewJob.of("sleep", "2").withTtl(Duration.ofSeconds(20)));
    Agent a = agent("vm-a", 2, "context.metadata-url", metadata.url().toString(), "agent.spot-poll", "200ms");
    await().atMost(Duration.ofSeconds(10)).until(() -> leasedTo(handedBack, "vm-a") && leasedTo(fits, "vm-a"));
    // The agent keeps its session token between polls, and asks for a new one once it has expired.
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> metadata.tokensIssued() == 1);
    metadata.expireTokens();

    metadata.spotNotice("terminate", Instant.now().plus(Duration.ofMinutes(2)));

    Shutdown why = a.drained().get(30, TimeUnit.SECONDS);
    assertThat(why.reason()).isEqualTo(Shutdown.Reason.PREEMPTED);
    assertThat(metadata.tokensIssued()).isEqualTo(2);
    assertThat(why.detail()).contains("spot instance-action terminate");
    assertThat(queue.get(fits).orElseThrow().status()).isEqualTo(JobStatus.DONE);
    QueuedJob back = queue.get(handedBack).orElseThrow();
    assertThat(back.status()).isEqualTo(JobStatus.QUEUED);
    assertThat(back.history()).anyMatch(line -> line.contains("released by vm-a"));
    a.close();

    Agent b = agent("vm-b", 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> queue.get(handedBack).orElseThrow().status() == JobStatus.DONE);
    QueuedJob done = queue.get(handedBack).orElseThrow();
    assertThat(done.agentId()).isEqualTo("vm-b");
    assertThat(done.epoch()).isEqualTo(2);
    b.close();
  }

  private boolean leasedTo(String id, String agent) throws Exception {
    QueuedJob j = queue.get(id).orElseThrow();
    return j.status() == JobStatus.LEASED && agent.equals(j.agentId());
  }
}
