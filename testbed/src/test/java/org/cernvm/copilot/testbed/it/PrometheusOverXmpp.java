package org.cernvm.copilot.testbed.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cernvm.copilot.metrics.MetricsEndpoint;
import org.cernvm.copilot.monitor.Monitor;
import org.cernvm.copilot.monitor.MonitorConfig;
import org.cernvm.copilot.metrics.MetricsSettings;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus, and the monitor's dashboard loaded in headless Chromium, watch a job manager and a
 * storage adapter over XMPP while agents run jobs; what Prometheus' query API and the page show equals
 * what the queue says was done and stored.
 */
abstract class PrometheusOverXmpp extends OverXmpp {
  /** The tests on {@code xmpp}. */
  PrometheusOverXmpp(XmppServer xmpp) {
    super(xmpp);
  }

  private static final int SUCCEEDING = 8;
  private static final int FAILING = 2;

  private MetricsEndpoint endpoint(PrometheusRegistry registry, String role) throws Exception {
    MetricsEndpoint e = MetricsEndpoint.start(MetricsSettings.loopback(0), registry, role);
    closeables.add(e);
    return e;
  }

  /** The text of the element whose start tag holds {@code attribute}. */
  private static String shown(String dom, String attribute) {
    Matcher m = Pattern.compile(Pattern.quote(attribute) + "[^>]*>([^<]*)<").matcher(dom);
    assertThat(m.find()).as("the page shows an element with " + attribute).isTrue();
    return m.group(1).trim();
  }

  @Test
  void prometheusAndTheDashboardCountTheJobsDoneAndTheFilesStoredAsTheQueueDoes() throws Exception {
    PrometheusRegistry storageMetrics = new PrometheusRegistry();
    PrometheusRegistry jobManagerMetrics = new PrometheusRegistry();
    int storagePort = endpoint(storageMetrics, "storage adapter").port().orElseThrow();
    int jobManagerPort = endpoint(jobManagerMetrics, "job manager").port().orElseThrow();
    StorageConfig sc = StorageConfig.from(Settings.of(Map.of("storage.service", address("storage"),
        "storage.job-managers", address("jobmanager"), "storage.port", "0", "storage.root", dir.resolve("se").toString(),
        "storage.grant-key-file", dir.resolve("grant.key").toString())), XmppServer.DOMAIN);
    StorageBackend backend = StorageBackend.from(sc);
    closeables.add(backend);
    closeables.add(StorageAdapter.start(sc, connect("storage", "sa-1"), backend, scheduler.clock(), storageMetrics));
    JobManager jm = new JobManager(jobManagerConfig("30s"), connect("jobmanager", "jm-1"), queue, scheduler,
        jobManagerMetrics);
    jm.start();
    closeables.add(jm);

    Monitor monitor = Monitor.start(MonitorConfig.from(Settings.of(Map.of("monitor.port", "0",
        "monitor.interval", "1s", "monitor.targets", "jm-1=http://127.0.0.1:" + jobManagerPort + "/metrics,"
            + "storage=http://127.0.0.1:" + storagePort + "/metrics"))), scheduler.clock());
    closeables.add(monitor);
    Prometheus prometheus = Prometheus.start(dir.resolve("prometheus"), Map.of(
        "copilot-job-manager", List.of("127.0.0.1:" + jobManagerPort),
        "copilot-storage-adapter", List.of("127.0.0.1:" + storagePort)));
    closeables.add(prometheus);
    await().atMost(Duration.ofSeconds(30)).until(() -> prometheus.query("sum(up)").orElse(0) == 2);

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < SUCCEEDING; i++) {
      ids.add(queue.submit(NewJob.of("sh", "-c", "head -c " + (10_000 + i) + " /dev/urandom > out.bin")
          .withOutputs("out.bin")));
    }
    for (int i = 0; i < FAILING; i++) {
      ids.add(queue.submit(NewJob.of("sh", "-c", "exit 3")));
    }
    startAgents(2);
    await().atMost(Duration.ofMinutes(3)).until(() -> queue.list().stream()
        .filter(j -> ids.contains(j.jobId())).allMatch(j -> j.status().isTerminal()));

    List<QueuedJob> jobs = queue.list().stream().filter(j -> ids.contains(j.jobId())).toList();
    assertThat(jobs).hasSize(ids.size());
    assertThat(jobs).filteredOn(j -> j.status() == JobStatus.DONE).hasSize(SUCCEEDING);
    long files = jobs.stream().mapToLong(j -> j.stored().size()).sum();
    long bytes = jobs.stream().flatMap(j -> j.stored().stream()).mapToLong(s -> s.file().sizeBytes()).sum();
    assertThat(files).as("an output and a log for each that succeeded, a log for each that failed")
        .isEqualTo(2L * SUCCEEDING + FAILING);
    assertThat(jobs.stream().flatMap(j -> j.stored().stream()).map(StoredFile::location)).doesNotHaveDuplicates();

    // Prometheus scrapes every second; the counts it has settle within a few scrapes of the last job.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(prometheus.query("sum(copilot_jobs_ended_total{outcome=\"succeeded\"})")).hasValue(SUCCEEDING);
      assertThat(prometheus.query("sum(copilot_jobs_ended_total{outcome=\"failed\"})")).hasValue(FAILING);
      assertThat(prometheus.query("sum(copilot_jobs_leased_total)")).hasValue(SUCCEEDING + FAILING);
      assertThat(prometheus.query("sum(copilot_dispatch_duration_seconds_count)")).hasValue(SUCCEEDING + FAILING);
      assertThat(prometheus.query("sum(copilot_leases_active)")).hasValue(0);
      assertThat(prometheus.query("sum(copilot_storage_uploads_total{result=\"stored\"})")).hasValue(files);
      assertThat(prometheus.query("sum(copilot_storage_stored_bytes_total)")).hasValue(bytes);
      assertThat(prometheus.query("sum(copilot_storage_registrations_total{result=\"registered\"})"))
          .hasValue(ids.size());
      assertThat(prometheus.query("copilot_agents_connected")).hasValue(2);
    });
    // The dashboard, as a browser shows it once its scripts ran, against the same counts.
    await().atMost(Duration.ofSeconds(30)).until(() -> monitor.state().sources().stream()
        .mapToDouble(src -> src.jobs().getOrDefault("succeeded", 0.0)).sum() == SUCCEEDING);
    String page = "http://127.0.0.1:" + monitor.port() + "/";
    String dom = Chromium.dom(dir.resolve("chromium"), page);
    assertThat(shown(dom, "id=\"jobs-succeeded\"")).isEqualTo(Integer.toString(SUCCEEDING));
    assertThat(shown(dom, "id=\"jobs-failed\"")).isEqualTo(Integer.toString(FAILING));
    assertThat(shown(dom, "id=\"agents-connected\"")).isEqualTo("2");
    assertThat(shown(dom, "id=\"jobs-running\"")).isEqualTo("0");
    assertThat(shown(dom, "id=\"files-stored\"")).isEqualTo(Long.toString(files));
    assertThat(shown(dom, "data-key=\"generic.succeeded\"")).isEqualTo(Integer.toString(SUCCEEDING));
    assertThat(shown(dom, "data-key=\"payload.total\"")).isEqualTo(Integer.toString(FAILING));
    assertThat(shown(dom, "data-key=\"jm-1.state\"")).isEqualTo("up");
    assertThat(dom).contains("class=\"uplot");
    Path png = Path.of("target", "dashboard.png");
    Chromium.screenshot(dir.resolve("chromium"), page, png);
    assertThat(javax.imageio.ImageIO.read(png.toFile()).getWidth()).isEqualTo(1400);

    OptionalDouble heap = prometheus.query("sum(jvm_memory_used_bytes{job=\"copilot-job-manager\",area=\"heap\"})");
    assertThat(heap).as("the JVM's metrics come with the role's").isPresent();
    assertThat(heap.getAsDouble()).isPositive();
  }
}
