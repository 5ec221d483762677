package org.cernvm.copilot.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.metrics.Samples;
import org.cernvm.copilot.protocol.Untrusted;

/**
 * Reads the roles' metrics endpoints, all at once: from each, a bounded body in Prometheus' text format
 * within the scrape's time limit, or why it could not.
 */
final class Scraper {
  /** The most of a scrape read; a role's own is some tens of KiB. */
  static final int MAX_BYTES = 4 << 20;

  /** One scrape: the samples, or the reason there are none. */
  record Scrape(MonitorConfig.Target target, Samples samples, String error) {
    boolean up() {
      return samples != null;
    }
  }

  private final HttpClient http;
  private final Duration timeout;
  private final ExecutorService readers;

  /**
   * A scraper whose scrapes each end within {@code timeout}, body included, read on {@code readers}: a
   * pool with a thread for each target, so that a slow role does not delay the others.
   */
  Scraper(Duration timeout, ExecutorService readers) {
    this.timeout = timeout;
    this.readers = readers;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /**
   * Scrapes every target at once; a scrape not done within the time limit is interrupted (the client's
   * body stream gives up on interruption) and shown as such.
   */
  List<Scrape> fetchAll(List<MonitorConfig.Target> targets) {
    List<Future<Scrape>> futures;
    try {
      futures = readers.invokeAll(targets.stream().map(t -> (Callable<Scrape>) () -> fetch(t))
          .toList(), timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return targets.stream().map(t -> new Scrape(t, null, "interrupted")).toList();
    }
    List<Scrape> scrapes = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      scrapes.add(outcome(targets.get(i), futures.get(i)));
    }
    return scrapes;
  }

  private Scrape outcome(MonitorConfig.Target target, Future<Scrape> future) {
    try {
      return future.get();
    } catch (CancellationException e) {
      return new Scrape(target, null, "no complete answer within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      return new Scrape(target, null, "scrape failed: " + Untrusted.text(e.getCause().toString(), 200));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Scrape(target, null, "interrupted");
    }
  }

  private Scrape fetch(MonitorConfig.Target target) {
    HttpRequest request = HttpRequest.newBuilder(target.url()).timeout(timeout)
        .header("Accept", "text/plain; version=0.0.4").GET().build();
    try {
      HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = r.body()) {
        byte[] body = in.readNBytes(MAX_BYTES + 1);
        if (r.statusCode() != 200) {
          return new Scrape(target, null, "HTTP " + r.statusCode());
        }
        if (body.length > MAX_BYTES) {
          return new Scrape(target, null, "the metrics exceed " + (MAX_BYTES >> 20) + " MiB");
        }
        return new Scrape(target, Samples.parse(new String(body, StandardCharsets.UTF_8)), null);
      }
    } catch (IllegalArgumentException e) {
      return new Scrape(target, null, Untrusted.text(e.getMessage(), 200));
    } catch (IOException e) {
      return new Scrape(target, null, "unreachable: " + Untrusted.text(e.toString(), 200) + " (timeout "
          + timeout.toMillis() + " ms)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Scrape(target, null, "no complete answer within " + timeout.toMillis() + " ms");
    }
  }
}
