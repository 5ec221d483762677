package org.cernvm.copilot.agent;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The VM's instance metadata service, EC2-style (OpenStack serves the same paths): documents under a base
 * URL such as {@code http://169.254.169.254/latest}, read with an IMDSv2 session token when the service
 * hands one out ({@code PUT api/token}) and without one otherwise (IMDSv1, OpenStack).
 */
final class MetadataService {
  private final HttpClient http;
  private final URI base;
  // The session token, or empty where the service hands out none; null until asked. Kept between reads
  // (the spot notice is read every few seconds) and asked for again when the service refuses it.
  private volatile Optional<String> token;

  MetadataService(HttpClient http, URI base) {
    this.http = http;
    this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
  }

  /** The URL of the document at {@code path}, e.g. {@code user-data}. */
  URI url(String path) {
    return base.resolve(path);
  }

  /**
   * The document at {@code path}, or empty if the service has none there (HTTP 404), asked once.
   *
   * @throws IOException if the service does not answer within {@code timeout} or answers another error
   */
  Optional<String> read(String path, Duration timeout) throws IOException, InterruptedException {
    HttpResponse<String> r = get(path, timeout);
    if (r.statusCode() == 401) {
      token = null;
      r = get(path, timeout);
    }
    if (r.statusCode() == 200) {
      return Optional.of(r.body());
    }
    if (r.statusCode() == 404) {
      return Optional.empty();
    }
    throw new IOException("HTTP " + r.statusCode() + " from " + url(path));
  }

  private HttpResponse<String> get(String path, Duration timeout) throws IOException, InterruptedException {
    HttpRequest.Builder get = HttpRequest.newBuilder(url(path)).timeout(timeout).GET();
    token(timeout).ifPresent(t -> get.header("X-aws-ec2-metadata-token", t));
    return http.send(get.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private Optional<String> token(Duration timeout) throws IOException, InterruptedException {
    Optional<String> known = token;
    if (known != null) {
      return known;
    }
    HttpRequest put = HttpRequest.newBuilder(base.resolve("api/token")).timeout(timeout)
        .header("X-aws-ec2-metadata-token-ttl-seconds", "300").PUT(HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<String> r = http.send(put, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    Optional<String> fresh = r.statusCode() == 200 && !r.body().isBlank() ? Optional.of(r.body().strip())
        : Optional.empty();
    token = fresh;
    return fresh;
  }
}
