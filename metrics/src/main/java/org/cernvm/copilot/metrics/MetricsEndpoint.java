package org.cernvm.copilot.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server role's Prometheus endpoint: {@code GET /metrics} (and {@code /-/healthy}) over the role's own
 * registry, with the JVM's metrics added to it; or, when no port is configured, none.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
  private final HTTPServer server;
  private final ExecutorService threads;
  private final String bind;

  /** {@code server} and {@code threads} are both null when there is no endpoint. */
  private MetricsEndpoint(HTTPServer server, ExecutorService threads, String bind) {
    this.server = server;
    this.threads = threads;
    this.bind = bind;
  }

  /**
   * Adds the JVM's metrics to {@code registry} and, when {@code settings} name a port, serves it there.
   *
   * @throws IOException if the port cannot be bound
   */
  public static MetricsEndpoint start(MetricsSettings settings, PrometheusRegistry registry, String role)
      throws IOException {
    JvmMetrics.builder().register(registry);
    if (settings.port().isEmpty()) {
      return new MetricsEndpoint(null, null, settings.bind());
    }
    // Two daemon threads: a scrape is small, and a stuck scraper must not hold the role's shutdown.
    ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, role + "-metrics");
      t.setDaemon(true);
      return t;
    });
    try {
      HTTPServer server = HTTPServer.builder().hostname(settings.bind()).port(settings.port().getAsInt())
          .registry(registry).executorService(threads).buildAndStart();
      MetricsEndpoint endpoint = new MetricsEndpoint(server, threads, settings.bind());
      log.info("{} serves its metrics at http://{}:{}/metrics", role, settings.bind(), server.getPort());
      return endpoint;
    } catch (IOException | RuntimeException e) {
      threads.shutdownNow();
      throw new IOException("cannot serve metrics on " + settings.bind() + ":" + settings.port().getAsInt() + ": "
          + e.getMessage(), e);
    }
  }

  /** The port the endpoint listens on, if there is one. */
  public OptionalInt port() {
    return server == null ? OptionalInt.empty() : OptionalInt.of(server.getPort());
  }

  /** How a role's start-up line names the endpoint: {@code ", metrics at http://…/metrics"}, or nothing. */
  public String describe() {
    return server == null ? "" : ", metrics at http://" + bind + ":" + server.getPort() + "/metrics";
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
      threads.shutdownNow();
    }
  }
}
