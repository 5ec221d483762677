package org.cernvm.copilot.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The VM's instance metadata service, EC2-style (OpenStack serves the same paths): documents under a base
 * URL such as {@code http://169.254.169.254/latest}, read with an IMDSv2 session token when the service
 * hands one out ({@code PUT api/token}) and without one otherwise (IMDSv1, OpenStack).
 */
final class MetadataService {
  private final URI base;
  // The session token, or empty where the service hands out none; null until asked. Kept between reads
  // (the spot notice is read every few seconds) and asked for again when the service refuses it.
  private volatile Optional<String> token;

  MetadataService(URI base) {
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
  Optional<String> read(String path, Duration timeout) throws IOException {
    Answer a = get(path, timeout);
    if (a.status() == 401) {
      token = null;
      a = get(path, timeout);
    }
    if (a.status() == 200) {
      return Optional.of(a.body());
    }
    if (a.status() == 404) {
      return Optional.empty();
    }
    throw new IOException("HTTP " + a.status() + " from " + url(path));
  }

  private record Answer(int status, String body) {}

  private Answer get(String path, Duration timeout) throws IOException {
    Optional<String> t = token(timeout);
    HttpURLConnection get = open(url(path), timeout);
    t.ifPresent(value -> get.setRequestProperty("X-aws-ec2-metadata-token", value));
    return answer(get);
  }

  private Optional<String> token(Duration timeout) throws IOException {
    Optional<String> known = token;
    if (known != null) {
      return known;
    }
    HttpURLConnection put = open(base.resolve("api/token"), timeout);
    put.setRequestMethod("PUT");
    put.setRequestProperty("X-aws-ec2-metadata-token-ttl-seconds", "300");
    Answer a = answer(put);
    Optional<String> fresh =
        a.status() == 200 && !a.body().isBlank() ? Optional.of(a.body().strip()) : Optional.empty();
    token = fresh;
    return fresh;
  }

  // HttpURLConnection rather than the JDK's HttpClient: an agent that polls for spot notices keeps a client
  // for its whole life, and HttpClient's 290 classes and selector thread cost an idle agent 4 MB, for one
  // small document every few seconds over plain HTTP.
  private static HttpURLConnection open(URI url, Duration timeout) throws IOException {
    URLConnection c = url.toURL().openConnection();
    if (!(c instanceof HttpURLConnection http)) {
      throw new IOException("not an HTTP URL: " + url);
    }
    int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    http.setConnectTimeout(millis);
    http.setReadTimeout(millis);
    http.setUseCaches(false);
    http.setInstanceFollowRedirects(false);
    return http;
  }

  private static Answer answer(HttpURLConnection c) throws IOException {
    try {
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String body = "";
      if (in != null) {
        try (in) {
          body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
      return new Answer(status, body);
    } finally {
      c.disconnect();
    }
  }
}
