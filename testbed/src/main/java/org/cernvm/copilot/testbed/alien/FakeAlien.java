package org.cernvm.copilot.testbed.alien;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.alien.JobStatus;
import org.cernvm.copilot.testkit.http.LoopbackServer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fake of the AliEn central services over HTTP with JSON bodies (JAliEn itself speaks serialised Java
 * over TLS): the task queue ({@code /api/getMatchJob}, {@code /api/setJobStatus}, {@code /api/putJobLog})
 * and the file catalogue ({@code /api/catalogue/find}, {@code /book}, {@code /commit}). JobAgent calls need
 * the JobAgent credential ({@code Authorization: Bearer}); job calls need the job's token, which
 * {@code getMatchJob} hands out. Testbed-only admin endpoints under {@code /admin/} submit JDLs, list and
 * kill jobs, and list or add catalogue entries.
 *
 * <p>{@code getMatchJob} answers {@code {"code":1,"queueId","jdl","user","token"}} or {@code {"code":-2}}
 * (nothing to run); job calls answer {@code {"result":"OK|KILLED|REFUSED|BAD_TOKEN|UNKNOWN"}}.
 */
public final class FakeAlien implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FakeAlien.class);

  private final TaskQueue queue;
  private final Catalogue catalogue;
  private final String agentToken;
  private final String adminToken;
  private final ObjectMapper json = new ObjectMapper();
  private final LoopbackServer http;

  private FakeAlien(Clock clock, Duration zombieAfter, Duration expireAfter, String agentToken, String adminToken,
      int port) throws IOException {
    this.queue = new TaskQueue(clock, zombieAfter, expireAfter);
    this.catalogue = new Catalogue(clock, Duration.ofHours(24));
    this.agentToken = agentToken;
    this.adminToken = adminToken;
    this.http = LoopbackServer.start("fake-alien", port, null, this::serve);
  }

  /**
   * Starts the fake central services on 127.0.0.1.
   *
   * @param zombieAfter silence after which a job becomes ZOMBIE
   * @param expireAfter further silence after which a zombie EXPIREs
   * @param agentToken the JobAgent credential
   * @param adminToken the admin endpoints' token
   */
  public static FakeAlien start(Clock clock, Duration zombieAfter, Duration expireAfter, String agentToken,
      String adminToken, int port) throws IOException {
    FakeAlien alien = new FakeAlien(clock, zombieAfter, expireAfter, agentToken, adminToken, port);
    log.info("fake AliEn central services at {}", alien.url());
    return alien;
  }

  /** The base URL. */
  public URI url() {
    return http.url();
  }

  /** The task queue, for tests and the demo. */
  public TaskQueue queue() {
    return queue;
  }

  /** The catalogue, for tests and the demo. */
  public Catalogue catalogue() {
    return catalogue;
  }

  private void serve(Request request, Response response, Callback callback) throws Exception {
    String path = request.getHttpURI().getPath();
    String auth = String.valueOf(request.getHeaders().get(HttpHeader.AUTHORIZATION));
    JsonNode body;
    try {
      String text = Content.Source.asString(request, StandardCharsets.UTF_8);
      body = text.isBlank() ? json.createObjectNode() : json.readTree(text);
    } catch (IOException e) {
      reply(response, callback, 400, Map.of("code", -1, "error", "the body is not JSON: " + e.getMessage()));
      return;
    }
    try {
      if (path.startsWith("/admin/")) {
        if (!auth.equals("Bearer " + adminToken)) {
          reply(response, callback, 403, Map.of("error", "the admin endpoints need the admin token"));
          return;
        }
        reply(response, callback, 200, admin(request, path, body));
        return;
      }
      if (!auth.equals("Bearer " + agentToken)) {
        reply(response, callback, 401, Map.of("code", -1, "error", "not a JobAgent credential"));
        return;
      }
      Object answer = switch (path) {
        case "/api/getMatchJob" -> getMatchJob(body);
        case "/api/setJobStatus" -> Map.of("result", queue.setStatus(body.path("queueId").asLong(),
            body.path("token").asText(), JobStatus.valueOf(body.path("status").asText())).name());
        case "/api/putJobLog" -> Map.of("result", queue.putJobLog(body.path("queueId").asLong(),
            body.path("token").asText(), body.path("tag").asText(), body.path("message").asText()).name());
        case "/api/catalogue/find" -> catalogue.find(body.path("lfn").asText()).<Object>map(e -> e)
            .orElse(Map.of("error", "no such file: " + body.path("lfn").asText()));
        case "/api/catalogue/book" -> book(body);
        case "/api/catalogue/commit" -> commit(body);
        default -> null;
      };
      if (answer == null) {
        reply(response, callback, 404, Map.of("error", "no such method: " + path));
      } else {
        reply(response, callback, 200, answer);
      }
    } catch (IllegalArgumentException e) {
      reply(response, callback, 409, Map.of("code", -1, "error", e.getMessage()));
    }
  }

  private Object getMatchJob(JsonNode b) {
    List<String> packages = new ArrayList<>();
    b.path("packages").forEach(p -> packages.add(p.asText()));
    TaskQueue.Offer offer = new TaskQueue.Offer(b.path("site").asText(), b.path("ce").asText(),
        b.path("ttl").asLong(), b.path("cores").asInt(1), b.path("disk").asLong(), packages);
    return queue.match(offer, b.path("node").asText("?"))
        .<Object>map(m -> Map.of("code", 1, "queueId", m.queueId(), "jdl", m.jdl(), "user", m.user(), "token", m.token()))
        .orElse(Map.of("code", -2));
  }

  private Object book(JsonNode b) {
    long id = b.path("queueId").asLong();
    if (!queue.holds(id, b.path("token").asText())) {
      throw new IllegalArgumentException("the job token of " + id + " is not valid");
    }
    Catalogue.Booking bk = catalogue.book(b.path("lfn").asText(), b.path("size").asLong(), b.path("md5").asText(), id,
        b.path("se").asText());
    return Map.of("guid", bk.guid(), "envelope", bk.envelope());
  }

  private Object commit(JsonNode b) {
    long id = b.path("queueId").asLong();
    if (!queue.holds(id, b.path("token").asText())) {
      throw new IllegalArgumentException("the job token of " + id + " is not valid");
    }
    return catalogue.commit(b.path("envelope").asText(), b.path("pfn").asText());
  }

  private Object admin(Request request, String path, JsonNode b) throws Exception {
    if (path.equals("/admin/submit")) {
      List<String> args = new ArrayList<>();
      b.path("args").forEach(a -> args.add(a.asText()));
      return Map.of("queueIds", queue.submit(b.path("jdl").asText(), args, b.path("user").asText("copilot")));
    }
    if (path.equals("/admin/jobs")) {
      return queue.list();
    }
    if (path.matches("/admin/jobs/\\d+/kill")) {
      return Map.of("status", queue.kill(Long.parseLong(path.split("/")[3])).map(Enum::name).orElse("UNKNOWN"));
    }
    if (path.equals("/admin/catalogue") && request.getMethod().equals("POST")) {
      Catalogue.Entry e = json.treeToValue(b, Catalogue.Entry.class);
      catalogue.add(e);
      return e;
    }
    if (path.equals("/admin/catalogue")) {
      return catalogue.list(b.path("dir").asText("/"));
    }
    throw new IllegalArgumentException("no such admin method: " + path);
  }

  private void reply(Response response, Callback callback, int status, Object body) throws IOException {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    Content.Sink.write(response, true, json.writeValueAsString(body), callback);
  }

  @Override
  public void close() {
    http.close();
  }
}
