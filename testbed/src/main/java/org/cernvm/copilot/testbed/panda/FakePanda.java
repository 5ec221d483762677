package org.cernvm.copilot.testbed.panda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.cernvm.copilot.protocol.tls.Trust;
import org.cernvm.copilot.testbed.http.LoopbackServer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A fake of the PanDA server's job dispatcher, faithful to what pilots see: {@code POST
 * /server/panda/getJob} and {@code /server/panda/updateJob} with form-encoded parameters, answers
 * URL-encoded ({@code key=value&...}) or JSON when the request accepts {@code application/json}, and the
 * dispatcher's {@code StatusCode}s. Jobs go defined → activated → sent → starting → running →
 * transferring/holding → finished | failed | cancelled; a dispatched job with no update for the heartbeat
 * timeout fails with "lost heartbeat"; a killed running job gets {@code command=tobekilled} in its next
 * update's answer.
 *
 * <p>Credentials: {@code Authorization: Bearer TOKEN} (a token maps to a role) or, over HTTPS, a client
 * certificate whose subject maps to a role; no credential or an unknown certificate is StatusCode 70, an
 * unknown token 50, a role that may not take the job's {@code prodSourceLabel} 60.
 * Testbed-only admin endpoints under {@code /admin/} (admin token required) submit, list and kill jobs
 * and inject faults (HTTP 5xx, slow answers, malformed answers).
 */
public final class FakePanda implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FakePanda.class);

  /** The job dispatcher's status codes. */
  public static final int SC_SUCCESS = 0;
  public static final int SC_TIMEOUT = 10;
  public static final int SC_NO_JOBS = 20;
  public static final int SC_FAILED = 30;
  public static final int SC_INVALID_TOKEN = 50;
  public static final int SC_INVALID_ROLE = 60;
  public static final int SC_PERMISSION_DENIED = 70;

  /**
   * HTTPS with client certificates.
   *
   * @param keystore a PKCS#12 file with the server's key and certificate
   * @param password its password
   * @param clientCas a PEM file with the certificates (or CAs) clients may present
   * @param dnRoles the role each client certificate subject (RFC 2253, e.g. {@code CN=adapter}) grants
   */
  public record Tls(Path keystore, String password, Path clientCas, Map<String, String> dnRoles) {}

  /**
   * Faults to inject into the next dispatcher calls.
   *
   * @param http503 how many next calls get HTTP 503
   * @param malformed how many next calls get an answer that is not PanDA's encoding
   * @param noJobs how many next calls get StatusCode 20 whatever is waiting
   * @param slowMillis how long a slow call is delayed
   * @param slow how many next calls are slow
   */
  public record Faults(int http503, int malformed, int noJobs, long slowMillis, int slow) {}

  private final Clock clock;
  private final Duration heartbeatTimeout;
  private final Map<String, String> tokenRoles;
  private final String adminToken;
  private final Map<String, String> dnRoles;
  private final ObjectMapper json = JsonMapper.builder().build();
  private final Map<Long, PandaJob> jobs = new TreeMap<>();
  private long nextId = 4_700_000_001L;
  private Faults faults = new Faults(0, 0, 0, 0, 0);
  private final LoopbackServer http;

  private FakePanda(Clock clock, Duration heartbeatTimeout, Map<String, String> tokenRoles, String adminToken,
      int port, Tls tls) throws IOException {
    this.clock = clock;
    this.heartbeatTimeout = heartbeatTimeout;
    this.tokenRoles = Map.copyOf(tokenRoles);
    this.adminToken = adminToken;
    this.dnRoles = tls == null ? Map.of() : Map.copyOf(tls.dnRoles());
    SslContextFactory.Server ssl = null;
    if (tls != null) {
      ssl = new SslContextFactory.Server();
      ssl.setKeyStorePath(tls.keystore().toAbsolutePath().toString());
      ssl.setKeyStoreType("PKCS12");
      ssl.setKeyStorePassword(tls.password());
      ssl.setTrustStore(Trust.store(tls.clientCas()));
      ssl.setWantClientAuth(true);
    }
    this.http = LoopbackServer.start("fake-panda", port, ssl, this::serve);
  }

  /**
   * Starts a fake PanDA server on 127.0.0.1.
   *
   * @param tokenRoles bearer tokens and the role each grants: {@code production} may take any job,
   *     {@code user} only {@code prodSourceLabel=user} jobs
   * @param adminToken the token of the testbed's admin endpoints
   * @param port the port, 0 for any free one
   */
  public static FakePanda start(Clock clock, Duration heartbeatTimeout, Map<String, String> tokenRoles,
      String adminToken, int port) throws IOException {
    return start(clock, heartbeatTimeout, tokenRoles, adminToken, port, null);
  }

  /** Starts a fake PanDA server as {@link #start(Clock, Duration, Map, String, int)}, over HTTPS when {@code tls} is set. */
  public static FakePanda start(Clock clock, Duration heartbeatTimeout, Map<String, String> tokenRoles,
      String adminToken, int port, Tls tls) throws IOException {
    FakePanda panda = new FakePanda(clock, heartbeatTimeout, tokenRoles, adminToken, port, tls);
    log.info("fake PanDA server at {}", panda.url());
    return panda;
  }

  /** The base URL, e.g. {@code http://127.0.0.1:25080}; pilots call {@code BASE/server/panda/getJob}. */
  public URI url() {
    return http.url();
  }

  /** Adds jobs (defined, then activated at once) and returns their PandaIDs. */
  public synchronized List<Long> submit(List<JobDefinition> definitions) {
    List<Long> ids = new ArrayList<>();
    for (JobDefinition d : definitions) {
      long id = nextId++;
      jobs.put(id, new PandaJob(id, d, clock.instant()));
      ids.add(id);
    }
    return ids;
  }

  /** Sets the faults the next dispatcher calls meet. */
  public synchronized void inject(Faults next) {
    faults = next;
  }

  /** A snapshot of every job: PandaID, state, and what was reported. */
  public synchronized List<JobView> list() {
    sweep();
    return jobs.values().stream().map(PandaJob::view).toList();
  }

  /** Kills a job: a waiting one is cancelled at once, a dispatched one is told {@code tobekilled}. */
  public synchronized Optional<String> kill(long pandaId) {
    PandaJob j = jobs.get(pandaId);
    if (j == null) {
      return Optional.empty();
    }
    if (j.state.equals("defined") || j.state.equals("activated")) {
      j.move("cancelled", clock.instant(), "killed before dispatch");
    } else if (!j.isFinal()) {
      j.command = "tobekilled";
      j.history.add(clock.instant() + " kill requested");
    }
    return Optional.of(j.state);
  }

  /** Fails dispatched jobs whose pilot has been silent for longer than the heartbeat timeout. */
  public synchronized void sweep() {
    Instant now = clock.instant();
    for (PandaJob j : jobs.values()) {
      if (j.isDispatched() && j.lastUpdate.plus(heartbeatTimeout).isBefore(now)) {
        j.pilotErrorCode = "1144";
        j.pilotErrorDiag = "lost heartbeat";
        j.move("failed", now, "lost heartbeat: no update for " + heartbeatTimeout);
      }
    }
  }

  private void serve(Request request, Response response, Callback callback) throws Exception {
    String path = request.getHttpURI().getPath();
    if (path.startsWith("/admin/")) {
      admin(request, response, callback, path);
      return;
    }
    boolean wantsJson = String.valueOf(request.getHeaders().get(HttpHeader.ACCEPT)).contains("application/json");
    Faults f = takeFault();
    if (f.slow() > 0) {
      Thread.sleep(f.slowMillis());
    }
    if (f.http503() > 0) {
      reply(response, callback, 503, "text/plain", "Service Unavailable");
      return;
    }
    if (f.malformed() > 0) {
      reply(response, callback, 200, "text/plain", "<html>proxy error</html>");
      return;
    }
    Map<String, String> form = parseForm(Content.Source.asString(request, StandardCharsets.UTF_8));
    Map<String, String> answer = switch (path) {
      case "/server/panda/getJob" -> getJob(request, form, f.noJobs() > 0);
      case "/server/panda/updateJob" -> updateJob(request, form);
      default -> null;
    };
    if (answer == null) {
      reply(response, callback, 404, "text/plain", "no such method: " + path);
      return;
    }
    if (wantsJson) {
      reply(response, callback, 200, "application/json", json.writeValueAsString(answer));
    } else {
      reply(response, callback, 200, "text/plain", encode(answer));
    }
  }

  /** The faults this call meets; each kind applies to the number of next calls it was set for. */
  private synchronized Faults takeFault() {
    Faults f = faults;
    faults = new Faults(Math.max(0, f.http503() - 1), Math.max(0, f.malformed() - 1), Math.max(0, f.noJobs() - 1),
        f.slowMillis(), Math.max(0, f.slow() - 1));
    return f;
  }

  /** The role the request's credential grants, or the status code that refuses it. */
  private Object role(Request request) {
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (auth == null || !auth.startsWith("Bearer ")) {
      if (request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData ssl
          && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0) {
        String role = dnRoles.get(ssl.peerCertificates()[0].getSubjectX500Principal().getName());
        return role == null ? (Object) SC_PERMISSION_DENIED : role;
      }
      return SC_PERMISSION_DENIED;
    }
    String role = tokenRoles.get(auth.substring("Bearer ".length()).trim());
    return role == null ? (Object) SC_INVALID_TOKEN : role;
  }

  private static Map<String, String> status(int code, String diag) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("StatusCode", Integer.toString(code));
    if (!diag.isEmpty()) {
      m.put("errorDialog", diag);
    }
    return m;
  }

  private synchronized Map<String, String> getJob(Request request, Map<String, String> form, boolean forceNoJobs) {
    sweep();
    Object role = role(request);
    if (role instanceof Integer code) {
      return status(code, code == SC_PERMISSION_DENIED ? "no credentials" : "invalid token");
    }
    String label = form.getOrDefault("prodSourceLabel", "managed");
    if (!role.equals("production") && !label.equals("user")) {
      return status(SC_INVALID_ROLE, "role " + role + " may not take " + label + " jobs");
    }
    if (forceNoJobs) {
      return status(SC_NO_JOBS, "");
    }
    long mem = parseLong(form.get("mem"), Long.MAX_VALUE);
    long disk = parseLong(form.get("diskSpace"), Long.MAX_VALUE);
    int cores = (int) parseLong(form.get("cpu"), Integer.MAX_VALUE);
    for (PandaJob j : jobs.values()) {
      JobDefinition d = j.definition;
      if (j.state.equals("activated") && d.prodSourceLabel().equals(label) && d.coreCount() <= cores
          && d.maxDiskCount() <= disk && mem > 0) {
        j.node = form.getOrDefault("node", "?");
        j.move("sent", clock.instant(), "to " + j.node + " at " + form.getOrDefault("siteName", "?"));
        return jobFields(j);
      }
    }
    return status(SC_NO_JOBS, "");
  }

  private static Map<String, String> jobFields(PandaJob j) {
    JobDefinition d = j.definition;
    Map<String, String> m = status(SC_SUCCESS, "");
    m.put("PandaID", Long.toString(j.pandaId));
    m.put("transformation", d.transformation());
    m.put("jobPars", d.jobPars());
    m.put("homepackage", d.homepackage());
    m.put("swRelease", d.swRelease());
    m.put("prodSourceLabel", d.prodSourceLabel());
    m.put("inFiles", "");
    m.put("GUID", "");
    m.put("fsize", "");
    m.put("checksum", "");
    m.put("outFiles", String.join(",", d.outFiles()));
    m.put("destinationDblock", String.join(",", d.destinationDblock()));
    m.put("realDatasets", String.join(",", d.realDatasets()));
    m.put("scopeOut", String.join(",", d.outFiles().stream().map(o -> d.scopeOut()).toList()));
    m.put("logFile", d.logFile());
    m.put("attemptNr", "1");
    m.put("coreCount", Integer.toString(d.coreCount()));
    m.put("maxDiskCount", Long.toString(d.maxDiskCount()));
    m.put("taskID", Long.toString(d.taskID()));
    m.put("jobsetID", Long.toString(d.jobsetID()));
    return m;
  }

  private synchronized Map<String, String> updateJob(Request request, Map<String, String> form) {
    sweep();
    Object role = role(request);
    if (role instanceof Integer code) {
      return status(code, code == SC_PERMISSION_DENIED ? "no credentials" : "invalid token");
    }
    PandaJob j = jobs.get(parseLong(form.get("jobId"), -1));
    if (j == null) {
      return status(SC_FAILED, "unknown jobId " + form.get("jobId"));
    }
    String state = form.getOrDefault("state", "");
    Instant now = clock.instant();
    if (j.isFinal()) {
      if (state.equals(j.state) || j.state.equals("cancelled")) {
        return status(SC_SUCCESS, "");
      }
      if (state.equals("finished") || state.equals("failed")) {
        j.history.add(now + " refused " + state + ": already " + j.state);
      }
      return status(SC_FAILED, "job " + j.pandaId + " is already " + j.state);
    }
    if (j.state.equals("defined") || j.state.equals("activated")) {
      return status(SC_FAILED, "job " + j.pandaId + " was not dispatched");
    }
    j.cpuConsumptionTime = parseLong(form.get("cpuConsumptionTime"), j.cpuConsumptionTime);
    switch (state) {
      case "starting", "running", "transferring", "holding" -> {
        if (!state.equals(j.state)) {
          j.move(state, now, "");
        } else {
          j.lastUpdate = now;
        }
      }
      case "finished" -> {
        String problem = recordOutputs(j, form.getOrDefault("xml", ""));
        if (problem != null) {
          return status(SC_FAILED, problem);
        }
        j.move(j.command != null ? "cancelled" : "finished", now, "");
      }
      case "failed" -> {
        j.pilotErrorCode = form.getOrDefault("pilotErrorCode", "0");
        j.pilotErrorDiag = form.getOrDefault("pilotErrorDiag", "");
        j.move(j.command != null ? "cancelled" : "failed", now, j.pilotErrorCode + " " + j.pilotErrorDiag);
      }
      default -> {
        return status(SC_FAILED, "unknown state '" + state + "'");
      }
    }
    Map<String, String> m = status(SC_SUCCESS, "");
    if (j.command != null && !j.isFinal()) {
      m.put("command", j.command);
    }
    return m;
  }

  /** Reads the pilot's PoolFileCatalog XML; every output file of the job must be in it. */
  private static String recordOutputs(PandaJob j, String xml) {
    Map<String, PandaOutput> found = new LinkedHashMap<>();
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
      f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      f.setExpandEntityReferences(false);
      Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
      NodeList files = doc.getElementsByTagName("File");
      for (int i = 0; i < files.getLength(); i++) {
        Element file = (Element) files.item(i);
        String lfn = ((Element) file.getElementsByTagName("lfn").item(0)).getAttribute("name");
        Map<String, String> meta = new LinkedHashMap<>();
        NodeList ms = file.getElementsByTagName("metadata");
        for (int k = 0; k < ms.getLength(); k++) {
          Element e = (Element) ms.item(k);
          meta.put(e.getAttribute("att_name"), e.getAttribute("att_value"));
        }
        found.put(lfn, new PandaOutput(lfn, file.getAttribute("ID"), parseLong(meta.get("fsize"), -1),
            meta.getOrDefault("adler32", ""), meta.getOrDefault("surl", "")));
      }
    } catch (Exception e) {
      return "cannot read the output report: " + e.getMessage();
    }
    for (String lfn : j.definition.outFiles()) {
      PandaOutput r = found.get(lfn);
      if (r == null || r.fsize() < 0 || !r.adler32().matches("[0-9a-f]{8}") || r.guid().isEmpty()) {
        return "output " + lfn + " is missing from the report or lacks GUID, fsize or adler32";
      }
    }
    j.outputs.clear();
    j.outputs.putAll(found);
    return null;
  }

  private void admin(Request request, Response response, Callback callback, String path) throws Exception {
    if (!("Bearer " + adminToken).equals(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
      reply(response, callback, 403, "text/plain", "the admin endpoints need the admin token");
      return;
    }
    String body = Content.Source.asString(request, StandardCharsets.UTF_8);
    Object answer;
    if (path.equals("/admin/jobs") && request.getMethod().equals("POST")) {
      JobDefinition[] defs = json.readValue(body, JobDefinition[].class);
      answer = Map.of("PandaIDs", submit(List.of(defs)));
    } else if (path.equals("/admin/jobs")) {
      answer = list();
    } else if (path.matches("/admin/jobs/\\d+/kill")) {
      answer = kill(Long.parseLong(path.split("/")[3])).map(s -> Map.of("state", s))
          .orElse(Map.of("state", "unknown"));
    } else if (path.equals("/admin/faults")) {
      inject(json.readValue(body, Faults.class));
      answer = Map.of("ok", true);
    } else {
      reply(response, callback, 404, "text/plain", "no such admin method: " + path);
      return;
    }
    reply(response, callback, 200, "application/json", json.writeValueAsString(answer));
  }

  private static void reply(Response response, Callback callback, int status, String type, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type + "; charset=utf-8");
    Content.Sink.write(response, true, body, callback);
  }

  static Map<String, String> parseForm(String body) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      m.put(k, v);
    }
    return m;
  }

  static String encode(Map<String, String> m) {
    return m.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  private static long parseLong(String v, long fallback) {
    try {
      return v == null || v.isBlank() ? fallback : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  @Override
  public void close() {
    http.close();
  }
}
