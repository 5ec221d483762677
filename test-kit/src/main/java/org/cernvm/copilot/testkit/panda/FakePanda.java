package org.cernvm.copilot.testkit.panda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.cernvm.copilot.protocol.tls.Trust;
import org.cernvm.copilot.testkit.http.LoopbackServer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fake of the PanDA server's job dispatcher over HTTP, faithful to what pilot3 and Harvester see
 * ({@code ../shared/reference/panda.md}): the legacy API, {@code POST /server/panda/getJob} and
 * {@code /updateJob}, answered form-encoded ({@code key=value&...}) or JSON when the request accepts or sends
 * JSON, with {@code nJobs} asking for a bulk answer; and the v1 API, {@code POST /api/v1/pilot/acquire_jobs}
 * and {@code /update_job}, with snake-case parameters and the {@code {"success", "message", "data"}}
 * envelope. Every body form pilots send is read ({@link PandaParams}); the jobs live in a
 * {@link PandaDispatcher}.
 *
 * <p>Credentials: {@code Authorization: Bearer TOKEN} (a token maps to a role) or, over HTTPS, a client
 * certificate whose subject maps to a role. An unknown token is refused with HTTP 403 "Token authentication
 * failed"; no credential, or a role that may not take the job's {@code prodSourceLabel}, is StatusCode 60.
 * Testbed-only admin endpoints under {@code /admin/} (admin token required) submit, list and kill jobs,
 * list a dataset's files, and inject faults (HTTP 5xx, slow answers, malformed answers). Under
 * {@code /rse/} it serves the replicas finished jobs stored ({@link Replicas}), standing in for Rucio.
 */
public final class FakePanda implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FakePanda.class);

  /** The job dispatcher's status codes. */
  public static final int SC_SUCCESS = PandaDispatcher.SC_SUCCESS;
  public static final int SC_TIMEOUT = PandaDispatcher.SC_TIMEOUT;
  public static final int SC_NO_JOBS = PandaDispatcher.SC_NO_JOBS;
  public static final int SC_FAILED = PandaDispatcher.SC_FAILED;
  public static final int SC_INVALID = PandaDispatcher.SC_INVALID;
  public static final int SC_ROLE = PandaDispatcher.SC_ROLE;
  public static final int SC_PERMS = PandaDispatcher.SC_PERMS;

  private static final String NO_ROLE = "no production/pilot role in VOMS FQANs or non pilot owner";
  /** v1 parameter names and the legacy names the dispatcher takes. */
  private static final Map<String, String> V1_NAMES = Map.ofEntries(
      Map.entry("site_name", "siteName"), Map.entry("computing_element", "computingElement"),
      Map.entry("prod_source_label", "prodSourceLabel"), Map.entry("memory", "mem"),
      Map.entry("disk_space", "diskSpace"), Map.entry("resource_type", "resourceType"), Map.entry("n_jobs", "nJobs"),
      Map.entry("job_id", "jobId"), Map.entry("job_status", "state"), Map.entry("job_output_report", "xml"),
      Map.entry("cpu_consumption_time", "cpuConsumptionTime"), Map.entry("cpu_consumption_unit", "cpuConsumptionUnit"),
      Map.entry("pilot_error_code", "pilotErrorCode"), Map.entry("pilot_error_diag", "pilotErrorDiag"),
      Map.entry("trans_exit_code", "transExitCode"), Map.entry("n_events", "nEvents"),
      Map.entry("core_count", "coreCount"), Map.entry("job_metrics", "jobMetrics"), Map.entry("attempt_nr", "attemptNr"),
      Map.entry("scheduler_id", "schedulerID"), Map.entry("pilot_id", "pilotID"), Map.entry("start_time", "startTime"),
      Map.entry("end_time", "endTime"));

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

  /** The API a call came in by. */
  private enum Api { LEGACY, V1 }

  /** A credential's outcome: the role it grants, or no role. */
  private record Credential(String role, boolean unknownToken) {}

  private final Map<String, String> tokenRoles;
  private final String adminToken;
  private final Map<String, String> dnRoles;
  private final ObjectMapper json = PandaParams.JSON;
  private final PandaDispatcher dispatcher;
  private final Replicas replicas;
  private Faults faults = new Faults(0, 0, 0, 0, 0);
  private volatile boolean legacyApi = true;
  private volatile boolean v1Api = true;
  private final LoopbackServer http;

  private FakePanda(Clock clock, Duration heartbeatTimeout, Map<String, String> tokenRoles, String adminToken,
      int port, Tls tls) throws IOException {
    this.dispatcher = new PandaDispatcher(clock, heartbeatTimeout);
    this.replicas = new Replicas(dispatcher);
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
  public List<Long> submit(List<JobDefinition> definitions) {
    return dispatcher.submit(definitions);
  }

  /**
   * Chooses the APIs served, both by default: a server of today without {@code legacy} (its methods then
   * answer HTTP 403 "method … is forbidden"), or one from before the v1 API without {@code v1}.
   */
  public void serveApis(boolean legacy, boolean v1) {
    this.legacyApi = legacy;
    this.v1Api = v1;
  }

  /** Sets the faults the next dispatcher calls meet. */
  public synchronized void inject(Faults next) {
    faults = next;
  }

  /** A snapshot of every job: PandaID, state, and what was reported. */
  public List<JobView> list() {
    return dispatcher.list();
  }

  /** The files of a dataset, as a job taking them as inputs names them ({@link PandaDispatcher#datasetFiles}). */
  public List<JobDefinition.Input> datasetFiles(String dataset) {
    return dispatcher.datasetFiles(dataset);
  }

  /** The base URL of the replicas stored at storage endpoint {@code endpoint}, as {@code panda.endpoints} names it. */
  public URI replicaUrl(String endpoint) {
    return URI.create(url() + Replicas.PREFIX + endpoint);
  }

  /** Kills a job: a waiting one is cancelled at once, a dispatched one is told {@code tobekilled}. */
  public Optional<String> kill(long pandaId) {
    return dispatcher.kill(pandaId);
  }

  /** Fails silent dispatched jobs and ends post-processed ones ({@link PandaDispatcher#sweep}). */
  public void sweep() {
    dispatcher.sweep();
  }

  private void serve(Request request, Response response, Callback callback) throws Exception {
    String path = request.getHttpURI().getPath();
    if (path.startsWith("/admin/")) {
      admin(request, response, callback, path);
      return;
    }
    if (path.startsWith(Replicas.PREFIX)) {
      replicas.serve(request, response, callback, path);
      return;
    }
    Api api = path.startsWith("/api/v1/") ? Api.V1 : path.startsWith("/server/panda/") ? Api.LEGACY : null;
    String method = path.substring(path.lastIndexOf('/') + 1);
    boolean known = api == Api.LEGACY ? legacyApi && (method.equals("getJob") || method.equals("updateJob"))
        : api == Api.V1 && v1Api
            && (path.equals("/api/v1/pilot/acquire_jobs") || path.equals("/api/v1/pilot/update_job"));
    if (!known) {
      reply(response, callback, 403, "text/plain", "ERROR : method " + method + " is forbidden");
      return;
    }
    Credential credential = credential(request);
    if (credential.unknownToken()) {
      reply(response, callback, 403, "text/plain", "ERROR : Token authentication failed. invalid token");
      return;
    }
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
    String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    Map<String, String> params;
    try {
      params = PandaParams.read(body(request), contentType, request.getHeaders().get(HttpHeader.CONTENT_ENCODING));
    } catch (PandaParams.BadBody e) {
      reply(response, callback, e.httpStatus, "text/plain", "ERROR : " + e.getMessage());
      return;
    }
    boolean wantsJson = String.valueOf(request.getHeaders().get(HttpHeader.ACCEPT)).toLowerCase(Locale.ROOT)
        .contains("application/json") || String.valueOf(contentType).toLowerCase(Locale.ROOT).startsWith("application/json");
    if (api == Api.V1) {
      Map<String, String> legacy = new LinkedHashMap<>();
      params.forEach((k, v) -> legacy.put(V1_NAMES.getOrDefault(k, k), v));
      Map<String, Object> envelope = method.equals("acquire_jobs") ? acquireJobs(credential, legacy, f.noJobs() > 0)
          : updateJobV1(credential, legacy);
      reply(response, callback, 200, "application/json", json.writeValueAsString(envelope));
      return;
    }
    Map<String, Object> answer = method.equals("getJob") ? getJob(credential, params, f.noJobs() > 0, wantsJson)
        : updateJob(credential, params);
    if (wantsJson) {
      reply(response, callback, 200, "application/json", json.writeValueAsString(answer));
    } else {
      reply(response, callback, 200, "text/plain", encode(answer));
    }
  }

  /** The body, up to {@link PandaParams#MAX_BODY_BYTES}; a longer one is refused unread. */
  private static byte[] body(Request request) throws IOException, PandaParams.BadBody {
    if (request.getLength() > PandaParams.MAX_BODY_BYTES) {
      throw new PandaParams.BadBody(413, "the body is longer than " + PandaParams.MAX_BODY_BYTES + " bytes");
    }
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] body = in.readNBytes(PandaParams.MAX_BODY_BYTES + 1);
      if (body.length > PandaParams.MAX_BODY_BYTES) {
        throw new PandaParams.BadBody(413, "the body is longer than " + PandaParams.MAX_BODY_BYTES + " bytes");
      }
      return body;
    }
  }

  /** The faults this call meets; each kind applies to the number of next calls it was set for. */
  private synchronized Faults takeFault() {
    Faults f = faults;
    faults = new Faults(Math.max(0, f.http503() - 1), Math.max(0, f.malformed() - 1), Math.max(0, f.noJobs() - 1),
        f.slowMillis(), Math.max(0, f.slow() - 1));
    return f;
  }

  private Credential credential(Request request) {
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (auth != null && auth.startsWith("Bearer ")) {
      String role = tokenRoles.get(auth.substring("Bearer ".length()).trim());
      return new Credential(role, role == null);
    }
    if (request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData ssl
        && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0) {
      return new Credential(dnRoles.get(ssl.peerCertificates()[0].getSubjectX500Principal().getName()), false);
    }
    return new Credential(null, false);
  }

  private static boolean mayTake(Credential c, String label) {
    return "production".equals(c.role()) || (c.role() != null && label.equals("user"));
  }

  private static int jobsAsked(String nJobs) {
    try {
      return Math.max(1, Integer.parseInt(nJobs.trim()));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  private Map<String, Object> getJob(Credential c, Map<String, String> p, boolean forceNoJobs, boolean wantsJson)
      throws JsonProcessingException {
    if (!mayTake(c, p.getOrDefault("prodSourceLabel", "managed"))) {
      return PandaDispatcher.status(SC_ROLE, wantsJson ? NO_ROLE : null);
    }
    String nJobs = p.get("nJobs");
    List<Map<String, Object>> jobs = forceNoJobs ? List.of()
        : dispatcher.dispatch(p, nJobs == null ? 1 : jobsAsked(nJobs));
    if (jobs.isEmpty()) {
      return PandaDispatcher.status(SC_NO_JOBS, wantsJson ? "no jobs in PanDA" : null);
    }
    if (nJobs == null) {
      return jobs.get(0);
    }
    Map<String, Object> bulk = PandaDispatcher.status(SC_SUCCESS, null);
    bulk.put("jobs", wantsJson ? jobs : json.writeValueAsString(jobs));
    return bulk;
  }

  private Map<String, Object> updateJob(Credential c, Map<String, String> p) {
    if (!"production".equals(c.role())) {
      return PandaDispatcher.status(SC_ROLE, NO_ROLE);
    }
    return dispatcher.update(p);
  }

  private Map<String, Object> acquireJobs(Credential c, Map<String, String> p, boolean forceNoJobs) {
    if (!mayTake(c, p.getOrDefault("prodSourceLabel", "managed"))) {
      return envelope(false, NO_ROLE, null);
    }
    List<Map<String, Object>> jobs = forceNoJobs ? List.of() : dispatcher.dispatch(p, jobsAsked(p.getOrDefault("nJobs", "1")));
    if (jobs.isEmpty()) {
      return envelope(false, "No jobs in PanDA", null);
    }
    Map<String, Object> data = PandaDispatcher.status(SC_SUCCESS, null);
    data.put("jobs", jobs);
    return envelope(true, "", data);
  }

  private Map<String, Object> updateJobV1(Credential c, Map<String, String> p) {
    if (!"production".equals(c.role())) {
      return envelope(false, NO_ROLE, null);
    }
    String jobId = p.getOrDefault("jobId", "NULL");
    if (jobId.equals("NULL")) {
      return envelope(false, "job_id is NULL", PandaDispatcher.status(SC_INVALID, null));
    }
    String state = p.getOrDefault("state", "");
    if (!PandaDispatcher.PILOT_STATES.contains(state)) {
      return envelope(false, "Invalid job status: " + state, PandaDispatcher.status(SC_INVALID, null));
    }
    Map<String, Object> data = dispatcher.update(p);
    Object diag = data.remove("errorDialog");
    return envelope(true, diag == null ? "" : diag.toString(), data);
  }

  private static Map<String, Object> envelope(boolean success, String message, Object data) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("success", success);
    m.put("message", message);
    m.put("data", data);
    return m;
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
    } else if (path.startsWith("/admin/datasets/")) {
      answer = datasetFiles(path.substring("/admin/datasets/".length()));
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

  /** Answers with {@code body} of media type {@code type} in UTF-8. */
  static void reply(Response response, Callback callback, int status, String type, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type + "; charset=utf-8");
    Content.Sink.write(response, true, body, callback);
  }

  static String encode(Map<String, ?> m) {
    return m.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
            + URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  @Override
  public void close() {
    http.close();
  }
}
