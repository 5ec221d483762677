package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.metrics.Samples;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On a two-node ejabberd cluster: a job manager on each node and the agents on the second; every message
 * to the service's bare address reaches both job managers, and when the first node fails mid-run its
 * components move to the second and every job is still done exactly once.
 */
class ClusterOverEjabberdIT extends OverXmpp {
  private final EjabberdCluster cluster;

  ClusterOverEjabberdIT() {
    super(new EjabberdCluster());
    this.cluster = (EjabberdCluster) xmpp;
  }

  @AfterEach
  void restoreTheCluster() throws Exception {
    cluster.restore();
  }

  private PrometheusRegistry startJobManager(String resource) throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    JobManager jm = new JobManager(jobManagerConfig("20s"), connect("jobmanager", resource), queue, scheduler,
        registry);
    jm.start();
    closeables.add(jm);
    return registry;
  }

  @Test
  void jobsFlowAcrossTheNodesAndThroughTheFailureOfOneWithNoneLostOrDuplicated() throws Exception {
    startStorage();
    PrometheusRegistry onFirst = startJobManager("jm-a");
    PrometheusRegistry onSecond = startJobManager("jm-b");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ids.add(queue.submit(NewJob.of("sh", "-c", "echo $COPILOT_JOB_ID >> " + dir.resolve("ran.log")
          + "; sleep 0.5; echo $COPILOT_JOB_ID > out.txt").withOutputs("out.txt")));
    }
    startAgents(3);
    await().atMost(Duration.ofMinutes(2)).until(() -> queue.counts().get(JobStatus.DONE) >= 8);
    // The agents' requests went to the service's bare address from the second node, and reached the job
    // manager on the first too.
    assertThat(Samples.of(onFirst).value("copilot_messages_received_total{verb=\"want_get_job\"}")).isPositive();
    assertThat(Samples.of(onSecond).value("copilot_messages_received_total{verb=\"want_get_job\"}")).isPositive();

    cluster.kill(0);
    await().atMost(Duration.ofMinutes(3)).until(() -> queue.counts().get(JobStatus.DONE) == 30);

    Map<String, Long> runs = Files.readAllLines(dir.resolve("ran.log")).stream()
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(runs.values()).as("each job ran once").allMatch(n -> n == 1);
    for (QueuedJob job : queue.list()) {
      assertThat(job.epoch()).isEqualTo(1);
      assertThat(job.stored()).extracting(f -> f.file()).isEqualTo(job.outputs());
    }
    // The first node's job manager went on on the second.
    long before = (long) Samples.of(onFirst).value("copilot_messages_received_total{verb=\"want_get_job\"}");
    await().atMost(Duration.ofSeconds(30)).until(() ->
        Samples.of(onFirst).value("copilot_messages_received_total{verb=\"want_get_job\"}") > before);
  }
}
