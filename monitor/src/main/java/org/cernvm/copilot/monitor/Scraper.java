package org.cernvm.copilot.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.cernvm.copilot.metrics.Samples;
import org.cernvm.copilot.protocol.Untrusted;

/** Reads one role's metrics endpoint: a bounded body in Prometheus' text format, or why it could not. */
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

  Scraper(Duration timeout) {
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  Scrape fetch(MonitorConfig.Target target) {
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
      return new Scrape(target, null, "interrupted");
    }
  }
}
