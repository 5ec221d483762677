package org.cernvm.copilot.testkit.cloud;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.testkit.http.LoopbackServer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A fake instance metadata service in the style of EC2's (which OpenStack's EC2-compatible service
 * follows): {@code GET /latest/user-data} hands out the user-data the VM was started with, and, as IMDSv2,
 * {@code PUT /latest/api/token} hands out a session token that a {@code GET} must then quote in
 * {@code X-aws-ec2-metadata-token} once {@link #requireTokens tokens are required}, and
 * {@code GET /latest/meta-data/spot/instance-action} the {@linkplain #spotNotice spot notice}. Like a booting VM's
 * service, it can be told to answer 503 a number of times first.
 */
public final class FakeMetadataService implements AutoCloseable {
  private static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";

  private final LoopbackServer http;
  private final Set<String> tokens = ConcurrentHashMap.newKeySet();
  private final AtomicInteger unavailable = new AtomicInteger();
  private final AtomicInteger userDataReads = new AtomicInteger();
  private final AtomicInteger tokensIssued = new AtomicInteger();
  private volatile String userData;
  private volatile String spotNotice;
  private volatile boolean requireTokens;

  private FakeMetadataService(int port) throws IOException {
    this.http = LoopbackServer.start("fake-metadata", port, null, this::serve);
  }

  /** Starts a metadata service on 127.0.0.1 with no user-data yet. */
  public static FakeMetadataService start(int port) throws IOException {
    return new FakeMetadataService(port);
  }

  /** The base URL agents are configured with, e.g. {@code http://127.0.0.1:34567/latest}. */
  public URI url() {
    return URI.create(http.url() + "/latest");
  }

  /** Sets the user-data; {@code null} answers 404, as for a VM started without any. */
  public FakeMetadataService userData(String text) {
    this.userData = text;
    return this;
  }

  /**
   * Announces that the VM will be taken away: from now on {@code GET /latest/meta-data/spot/instance-action}
   * answers {@code {"action": action, "time": at}} instead of 404, as EC2 does two minutes before.
   */
  public FakeMetadataService spotNotice(String action, Instant at) {
    this.spotNotice = "{\"action\": \"" + action + "\", \"time\": \"" + at.truncatedTo(ChronoUnit.SECONDS)
        + "\"}";
    return this;
  }

  /** Answers 503 to the next {@code times} requests for the user-data. */
  public FakeMetadataService unavailableFor(int times) {
    unavailable.set(times);
    return this;
  }

  /** Refuses reads that do not quote a session token (IMDSv2 only). */
  public FakeMetadataService requireTokens() {
    this.requireTokens = true;
    return this;
  }

  /** Lets every session token handed out so far expire, as IMDSv2 tokens do after their TTL. */
  public FakeMetadataService expireTokens() {
    tokens.clear();
    return this;
  }

  /** How many session tokens were handed out. */
  public int tokensIssued() {
    return tokensIssued.get();
  }

  /** How many times the user-data was handed out. */
  public int userDataReads() {
    return userDataReads.get();
  }

  /** Whether tokens are required and {@code request} has none that was handed out and has not expired. */
  private boolean withoutValidToken(Request request) {
    String token = request.getHeaders().get(TOKEN_HEADER);
    return requireTokens && (token == null || !tokens.contains(token));
  }

  private void serve(Request request, Response response, Callback callback) {
    String path = request.getHttpURI().getPath();
    String method = request.getMethod();
    if (path.equals("/latest/api/token") && method.equals("PUT")) {
      String token = UUID.randomUUID().toString();
      tokens.add(token);
      tokensIssued.incrementAndGet();
      reply(response, callback, 200, token);
    } else if (path.equals("/latest/user-data") && method.equals("GET")) {
      if (withoutValidToken(request)) {
        reply(response, callback, 401, "a session token is required");
      } else if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        reply(response, callback, 503, "not ready");
      } else if (userData == null) {
        reply(response, callback, 404, "no user-data");
      } else {
        userDataReads.incrementAndGet();
        reply(response, callback, 200, userData);
      }
    } else if (path.equals("/latest/meta-data/spot/instance-action") && method.equals("GET")) {
      if (withoutValidToken(request)) {
        reply(response, callback, 401, "a session token is required");
        return;
      }
      String notice = spotNotice;
      reply(response, callback, notice == null ? 404 : 200, notice == null ? "no notice" : notice);
    } else {
      reply(response, callback, 404, "not found: " + method + " " + path);
    }
  }

  private static void reply(Response response, Callback callback, int status, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    Content.Sink.write(response, true, body, callback);
  }

  @Override
  public void close() {
    http.close();
  }

  @Override
  public String toString() {
    return "FakeMetadataService[" + url() + ", " + (userData == null ? "no user-data" : userData.getBytes(
        StandardCharsets.UTF_8).length + " bytes of user-data") + "]";
  }
}
