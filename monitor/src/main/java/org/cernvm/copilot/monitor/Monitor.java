package org.cernvm.copilot.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live dashboard: scrapes each role's metrics endpoint every {@code monitor.interval}, keeps
 * {@code monitor.history} of them, and serves a page ({@code /}) that shows and charts them, updating
 * itself from {@code /state.json}; the charts are drawn by uPlot, served from its WebJar.
 */
public final class Monitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Monitor.class);
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private static final String UPLOT = "META-INF/resources/webjars/uplot/" + uplotVersion() + "/dist/";
  /** What the page is made of, by path: resource and content type. */
  private static final Map<String, List<String>> FILES = Map.of(
      "/", List.of("org/cernvm/copilot/monitor/dashboard.html", "text/html; charset=utf-8"),
      "/dashboard.js", List.of("org/cernvm/copilot/monitor/dashboard.js", "text/javascript; charset=utf-8"),
      "/dashboard.css", List.of("org/cernvm/copilot/monitor/dashboard.css", "text/css; charset=utf-8"),
      "/uPlot.min.js", List.of(UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"),
      "/uPlot.min.css", List.of(UPLOT + "uPlot.min.css", "text/css; charset=utf-8"));

  private final MonitorConfig config;
  private final Clock clock;
  private final Scraper scraper;
  private final History history;
  private final ScheduledExecutorService timer;
  private final ExecutorService readers;
  private final ExecutorService pages;
  private final HttpServer server;

  private Monitor(MonitorConfig config, Clock clock) throws IOException {
    this.config = config;
    this.clock = clock;
    Duration perTarget = Duration.ofMillis(Math.min(2000, config.interval().toMillis() / 2));
    this.readers = Executors.newFixedThreadPool(config.targets().size(), r -> daemon(r, "monitor-read"));
    this.scraper = new Scraper(perTarget, readers);
    this.history = new History(config.history());
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "monitor-scrape"));
    this.pages = Executors.newFixedThreadPool(2, r -> daemon(r, "monitor-http"));
    this.server = HttpServer.create(new InetSocketAddress(config.bind(), config.port()), 64);
    server.setExecutor(pages);
    server.createContext("/", this::serve);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Starts scraping and serving.
   *
   * @throws IOException if the dashboard's port cannot be bound
   */
  public static Monitor start(MonitorConfig config, Clock clock) throws IOException {
    Monitor m = serve(config, clock);
    m.timer.scheduleWithFixedDelay(m::scrapeQuietly, 0, config.interval().toMillis(), TimeUnit.MILLISECONDS);
    return m;
  }

  /** Serves the dashboard without scraping on a timer: each {@link #scrape} is the caller's. */
  static Monitor serve(MonitorConfig config, Clock clock) throws IOException {
    Monitor m = new Monitor(config, clock);
    m.server.start();
    log.info("monitor serving its dashboard at http://{}:{}/ for {}", config.bind(), m.port(),
        config.targets().stream().map(MonitorConfig.Target::name).toList());
    return m;
  }

  /** The port the dashboard listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Scrapes every target once now. */
  public void scrape() {
    history.add(new History.Round(clock.instant(), scraper.fetchAll(config.targets())));
  }

  private void scrapeQuietly() {
    try {
      scrape();
    } catch (RuntimeException e) {
      log.warn("monitor scrape failed: {}", e.toString());
    }
  }

  /** What the dashboard shows now. */
  public DashboardState state() {
    return history.state();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!exchange.getRequestMethod().equals("GET")) {
        send(exchange, 405, "text/plain; charset=utf-8", "GET only\n".getBytes());
      } else if (path.equals("/state.json")) {
        send(exchange, 200, "application/json", JSON.writeValueAsBytes(state()));
      } else if (FILES.containsKey(path)) {
        List<String> file = FILES.get(path);
        send(exchange, 200, file.get(1), resource(file.get(0)));
      } else {
        send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes());
      }
    }
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  private static byte[] resource(String name) {
    try (InputStream in = Monitor.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the monitor's page is missing " + name + " from its jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String uplotVersion() {
    try (InputStream in = Monitor.class.getClassLoader()
        .getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      java.util.Properties p = new java.util.Properties();
      if (in == null) {
        throw new IllegalStateException("the uPlot WebJar is not on the class path");
      }
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    readers.shutdownNow();
    server.stop(0);
    pages.shutdownNow();
  }
}
