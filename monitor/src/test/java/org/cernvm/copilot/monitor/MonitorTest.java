package org.cernvm.copilot.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The monitor over roles' metrics endpoints that a test serves and changes: totals summed over the roles,
 * rates between scrapes on a fake clock, a role that is down, malformed or too large, and its page.
 */
class MonitorTest {
  private final ManualScheduler time = new ManualScheduler();
  private final Map<String, String> bodies = new ConcurrentHashMap<>();
  private final List<AutoCloseable> open = new ArrayList<>();
  private HttpServer roles;
  private final ExecutorService readers = Executors.newCachedThreadPool();
  private final CountDownLatch stalled = new CountDownLatch(1);
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void serveRoles() throws Exception {
    roles = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    roles.setExecutor(readers);
    // A role that sends its headers and the start of its metrics, then nothing more.
    roles.createContext("/stalled", ex -> {
      try (ex) {
        ex.sendResponseHeaders(200, 1_000);
        ex.getResponseBody().write("copilot_agents_busy 1\n".getBytes(StandardCharsets.UTF_8));
        ex.getResponseBody().flush();
        stalled.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    roles.createContext("/", ex -> {
      try (ex) {
        byte[] body = bodies.getOrDefault(ex.getRequestURI().getPath(), "").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(bodies.containsKey(ex.getRequestURI().getPath()) ? 200 : 404, body.length);
        ex.getResponseBody().write(body);
      }
    });
    roles.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    stalled.countDown();
    roles.stop(0);
    readers.shutdownNow();
  }

  private String url(String path) {
    return "http://127.0.0.1:" + roles.getAddress().getPort() + path;
  }

  private Monitor monitor(String targets) throws Exception {
    MonitorConfig config = MonitorConfig.from(Settings.of(Map.of("monitor.targets", targets, "monitor.port", "0",
        "monitor.interval", "10s", "monitor.history", "1h")));
    Monitor m = Monitor.serve(config, time.clock());
    open.add(m);
    return m;
  }

  private static String jobManager(int succeeded, int failed, int dispatchedFast, int dispatchedSlow) {
    int dispatched = dispatchedFast + dispatchedSlow;
    return String.join("\n",
        "# TYPE copilot_jobs_ended_total counter",
        "copilot_jobs_ended_total{outcome=\"succeeded\",source=\"panda\"} " + succeeded,
        "copilot_jobs_ended_total{outcome=\"failed\",source=\"panda\"} " + failed,
        "copilot_jobs_failed_total{kind=\"stage_in\",source=\"panda\"} " + failed,
        "copilot_jobs_leased_total{source=\"panda\"} " + (succeeded + failed + 3),
        "copilot_leases_active{source=\"panda\"} 3",
        "copilot_prefetch_jobs{source=\"panda\"} 7",
        "copilot_agents_connected 4",
        "copilot_agents_busy 3",
        "copilot_agents_waiting 1",
        "copilot_dispatch_duration_seconds_bucket{source=\"panda\",le=\"0.01\"} " + dispatchedFast,
        "copilot_dispatch_duration_seconds_bucket{source=\"panda\",le=\"0.25\"} " + dispatched,
        "copilot_dispatch_duration_seconds_bucket{source=\"panda\",le=\"+Inf\"} " + dispatched,
        "copilot_dispatch_duration_seconds_count{source=\"panda\"} " + dispatched, "");
  }

  private static String storage(long bytes, int stored) {
    return "copilot_storage_uploads_total{result=\"stored\",status=\"201\"} " + stored + "\n"
        + "copilot_storage_uploads_total{result=\"refused\",status=\"422\"} 1\n"
        + "copilot_storage_stored_bytes_total " + bytes + "\n";
  }

  @Test
  void totalsAreSummedOverTheRolesAndRatesTakenBetweenScrapes() throws Exception {
    bodies.put("/jm1", jobManager(10, 1, 10, 0));
    // jm-2 heard two agents ask for work, jm-1 one of them: the agents' requests reach both.
    bodies.put("/jm2", jobManager(5, 0, 5, 0).replace("copilot_agents_waiting 1", "copilot_agents_waiting 2"));
    bodies.put("/sa", storage(1_000, 2));
    Monitor m = monitor("jm-1=" + url("/jm1") + ",jm-2=" + url("/jm2") + ",storage=" + url("/sa"));
    m.scrape();
    time.advance(Duration.ofSeconds(10));
    // In 10 s: 30 more jobs ended on jm-1 (2 of them failed in stage-in), 100 dispatched of which 2 slow;
    // the storage adapter stored 5 MB.
    bodies.put("/jm1", jobManager(38, 3, 108, 2));
    bodies.put("/sa", storage(5_001_000, 12));
    m.scrape();

    DashboardState s = m.state();
    assertThat(s.targets()).allMatch(DashboardState.TargetState::up);
    assertThat(s.agentsConnected()).as("3 + 3 running, 2 waiting").isEqualTo(8);
    assertThat(s.agentsWaiting()).isEqualTo(2);
    assertThat(s.sources()).singleElement().satisfies(src -> {
      assertThat(src.source()).isEqualTo("panda");
      assertThat(src.jobs()).containsEntry("succeeded", 43.0).containsEntry("failed", 3.0)
          .containsEntry("running", 6.0).containsEntry("prefetched", 14.0).containsEntry("leased", 52.0);
    });
    assertThat(s.failures()).singleElement().isEqualTo(new DashboardState.Failures("stage_in", 3, 2));
    assertThat(s.storage()).isEqualTo(new DashboardState.Storage(12, 1, 5_001_000));
    assertThat(s.series().t()).hasSize(1);
    assertThat(s.series().jobsPerSecond()).containsExactly(3.0);
    assertThat(s.series().dispatchP99Ms()).containsExactly(250.0);
    assertThat(s.series().storageBytesPerSecond()).containsExactly(500_000.0);

    // A role that restarted counts from zero again.
    time.advance(Duration.ofSeconds(10));
    bodies.put("/jm1", jobManager(4, 0, 4, 0));
    m.scrape();
    assertThat(m.state().series().jobsPerSecond()).containsExactly(3.0, 0.4);
  }

  @Test
  void aRoleThatIsDownMalformedOrTooLargeIsShownAsDownWithWhy() throws Exception {
    bodies.put("/jm1", jobManager(1, 0, 1, 0));
    bodies.put("/bad", "copilot_agents_connected four\n");
    bodies.put("/huge", "x".repeat(Scraper.MAX_BYTES + 10));
    bodies.put("/labels", "copilot_agents_connected{x=\"1} 2\n");
    // A bucket bound that is not a number is left out of the quantile; the role is still read.
    bodies.put("/odd", "copilot_agents_busy 1\ncopilot_dispatch_duration_seconds_bucket{le=\"soon\"} 5\n");
    Monitor m = monitor("jm-1=" + url("/jm1") + ",gone=http://127.0.0.1:1/metrics,bad=" + url("/bad")
        + ",huge=" + url("/huge") + ",missing=" + url("/nothing") + ",labels=" + url("/labels")
        + ",odd=" + url("/odd"));
    m.scrape();
    time.advance(Duration.ofSeconds(10));
    m.scrape();
    DashboardState s = m.state();
    assertThat(s.agentsConnected()).isEqualTo(5);
    assertThat(s.series().dispatchP99Ms()).containsExactly((Double) null);
    assertThat(s.targets()).extracting(DashboardState.TargetState::name, DashboardState.TargetState::up)
        .containsExactly(tuple("jm-1", true), tuple("gone", false), tuple("bad", false), tuple("huge", false),
            tuple("missing", false), tuple("labels", false), tuple("odd", true));
    assertThat(s.targets().get(1).error()).startsWith("unreachable: ");
    assertThat(s.targets().get(2).error()).contains("line 1 of the metrics has no number");
    assertThat(s.targets().get(3).error()).contains("exceed 4 MiB");
    assertThat(s.targets().get(4).error()).isEqualTo("HTTP 404");
    assertThat(s.targets().get(5).error()).contains("unterminated label value");
  }

  @Test
  void aRoleThatStallsInItsBodyIsShownDownAtTheScrapesTimeLimitWithoutDelayingTheOthers() throws Exception {
    bodies.put("/jm1", jobManager(1, 0, 1, 0));
    Monitor m = monitor("stalled=" + url("/stalled") + ",jm-1=" + url("/jm1"));
    long start = System.nanoTime();
    m.scrape();
    // The time limit is 2 s (half the interval, at most 2 s); the margin is for a loaded machine.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    DashboardState s = m.state();
    assertThat(s.targets()).extracting(DashboardState.TargetState::name, DashboardState.TargetState::up)
        .containsExactly(tuple("stalled", false), tuple("jm-1", true));
    assertThat(s.targets().get(0).error()).isEqualTo("no complete answer within 2000 ms");
  }

  @Test
  void aPercentilePastTheTopBucketIsChartedAtTheTopBound() throws Exception {
    String slow = "copilot_dispatch_duration_seconds_bucket{le=\"10.0\"} %d\n"
        + "copilot_dispatch_duration_seconds_bucket{le=\"+Inf\"} %d\n";
    bodies.put("/jm1", slow.formatted(0, 0));
    Monitor m = monitor("jm-1=" + url("/jm1"));
    m.scrape();
    time.advance(Duration.ofSeconds(10));
    bodies.put("/jm1", slow.formatted(90, 100));
    m.scrape();
    assertThat(m.state().series().dispatchP99Ms()).containsExactly(10_000.0);
  }

  @Test
  void thePageItsScriptsAndItsStateAreServedAndNothingElse() throws Exception {
    bodies.put("/jm1", jobManager(1, 0, 1, 0));
    Monitor m = monitor("jm-1=" + url("/jm1"));
    m.scrape();
    String base = "http://127.0.0.1:" + m.port();
    HttpResponse<String> page = get(base + "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<script src=\"/uPlot.min.js\">", "id=\"agents-connected\"");
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue("default-src 'self'");
    assertThat(get(base + "/uPlot.min.js").body()).contains("uPlot");
    assertThat(get(base + "/dashboard.js").statusCode()).isEqualTo(200);
    assertThat(get(base + "/state.json").body()).contains("\"agentsConnected\":4.0");
    assertThat(get(base + "/etc/passwd").statusCode()).isEqualTo(404);
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/state.json"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(405);
  }

  @Test
  void aWrongConfigurationIsRefusedWithTheKey() {
    assertThatThrownBy(() -> MonitorConfig.from(Settings.of(Map.of()))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("monitor.targets");
    assertThatThrownBy(() -> MonitorConfig.from(Settings.of(Map.of("monitor.targets", "jm-1"))))
        .hasMessageContaining("NAME=URL");
    assertThatThrownBy(() -> MonitorConfig.from(Settings.of(Map.of("monitor.targets", "jm-1=ftp://x/metrics"))))
        .hasMessageContaining("http(s) URL");
    assertThatThrownBy(() -> MonitorConfig.from(Settings.of(Map.of("monitor.targets",
        "jm-1=http://jm_1.example.org:9471/metrics")))).hasMessageContaining("jm-1's URL").hasMessageContaining("no '_'");
    assertThatThrownBy(() -> MonitorConfig.from(Settings.of(Map.of("monitor.targets", "a=http://x/,a=http://y/"))))
        .hasMessageContaining("twice");
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
