package org.cernvm.copilot.testbed.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Prometheus (Debian's, installed by {@code scripts/prometheus-up}) that a test starts on loopback,
 * scraping the targets it names every second, and asks through its HTTP API.
 */
final class Prometheus implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final URI api;
  private final Path log;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Prometheus(Process process, URI api, Path log) {
    this.process = process;
    this.api = api;
    this.log = log;
  }

  /**
   * Starts Prometheus in {@code dir} scraping each job's targets ({@code host:port}) every second, and waits
   * until it is ready.
   *
   * @throws IllegalStateException if the binary is missing or it is not ready within 60 s
   */
  static Prometheus start(Path dir, Map<String, List<String>> jobs) throws Exception {
    String binary = System.getenv().getOrDefault("COPILOT_TEST_PROMETHEUS", "/usr/bin/prometheus");
    if (!Files.isExecutable(Path.of(binary))) {
      throw new IllegalStateException("no Prometheus at " + binary + ": install it with scripts/prometheus-up "
          + "(./copilot test does)");
    }
    Files.createDirectories(dir);
    StringBuilder config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
    jobs.forEach((job, targets) -> config.append("  - job_name: ").append(job).append("\n    static_configs:\n")
        .append("      - targets: [").append(targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")))
        .append("]\n"));
    Path file = dir.resolve("prometheus.yml");
    Files.writeString(file, config);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = dir.resolve("prometheus.log");
    Process p = new ProcessBuilder(binary, "--config.file=" + file, "--storage.tsdb.path=" + dir.resolve("tsdb"),
        "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Prometheus prometheus = new Prometheus(p, URI.create("http://127.0.0.1:" + port), log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!prometheus.ready()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        prometheus.close();
        throw new IllegalStateException("Prometheus did not become ready on port " + port + ": "
            + Files.readString(log));
      }
      Thread.sleep(200);
    }
    return prometheus;
  }

  private boolean ready() {
    try {
      return http.send(HttpRequest.newBuilder(api.resolve("/-/ready")).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The value of an instant query whose answer is one sample, or empty when it has none. */
  OptionalDouble query(String promql) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(api.resolve("/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(r.body());
    if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IllegalStateException("Prometheus refused " + promql + ": " + r.body());
    }
    JsonNode result = body.path("data").path("result");
    if (result.isEmpty()) {
      return OptionalDouble.empty();
    }
    if (result.size() > 1) {
      throw new IllegalStateException(promql + " has " + result.size() + " samples: " + result);
    }
    return OptionalDouble.of(Double.parseDouble(result.get(0).path("value").get(1).asText()));
  }

  /** What Prometheus logged. */
  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
