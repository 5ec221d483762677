package org.cernvm.copilot.panda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.http.io.support.ClassicRequestBuilder;
import org.apache.hc.core5.util.Timeout;
import org.cernvm.copilot.jobmanager.Retry;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.tls.Trust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the PanDA job dispatcher. Callers speak the legacy API's method and parameter names
 * ({@code getJob}, {@code updateJob}, camelCase) and get its answer as text fields with a {@code StatusCode};
 * the client sends them by the API {@link PandaConfig#api()} chooses: v1 ({@code POST
 * /api/v1/pilot/acquire_jobs} and {@code /update_job}, snake-case JSON, the {@code {success, message, data}}
 * envelope, as Harvester calls it), legacy ({@code POST /server/panda/getJob} form-encoded, as pilot3's
 * fallback, answered in JSON), or v1 falling back to legacy once a server says it has no v1 method. Failures
 * that may pass (no answer, HTTP 5xx, an answer PanDA would not send) are tried again with doubling pauses,
 * each logged; when every attempt failed, or the credential is refused (HTTP 403, StatusCode 50, 60, 70),
 * the call fails with {@link UpstreamUnavailableException}.
 */
final class PandaClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PandaClient.class);
  /** The adapter's JSON mapper: answers read here, final reports written by {@link PandaJobSource}. */
  static final JsonMapper JSON = JsonMapper.builder().build();
  /** The v1 answer to an acquire that found nothing, the API's only sign of it. */
  private static final String V1_NO_JOBS = "No jobs in PanDA";
  /** Legacy parameter names and their v1 names; a parameter not here has no v1 counterpart and is not sent. */
  private static final Map<String, String> V1_NAMES = Map.ofEntries(
      Map.entry("siteName", "site_name"), Map.entry("computingElement", "computing_element"),
      Map.entry("prodSourceLabel", "prod_source_label"), Map.entry("node", "node"), Map.entry("mem", "memory"),
      Map.entry("diskSpace", "disk_space"), Map.entry("resourceType", "resource_type"), Map.entry("nJobs", "n_jobs"),
      Map.entry("jobId", "job_id"), Map.entry("state", "job_status"), Map.entry("xml", "job_output_report"),
      Map.entry("cpuConsumptionTime", "cpu_consumption_time"), Map.entry("cpuConsumptionUnit", "cpu_consumption_unit"),
      Map.entry("pilotErrorCode", "pilot_error_code"), Map.entry("pilotErrorDiag", "pilot_error_diag"),
      Map.entry("transExitCode", "trans_exit_code"), Map.entry("nEvents", "n_events"),
      Map.entry("coreCount", "core_count"), Map.entry("jobMetrics", "job_metrics"), Map.entry("attemptNr", "attempt_nr"),
      Map.entry("startTime", "start_time"), Map.entry("endTime", "end_time"));
  /** The v1 parameters the server reads as integers, sent as JSON numbers. */
  private static final Set<String> V1_INTEGERS = Set.of("job_id", "memory", "disk_space", "n_jobs",
      "cpu_consumption_time", "pilot_error_code", "trans_exit_code", "n_events", "core_count", "attempt_nr");

  private final PandaConfig config;
  private final CloseableHttpClient http;
  /** Set before the HTTP client closes, so that a call it then refuses is told from any other failure. */
  private volatile boolean closed;
  /** Whether calls go by the legacy API: chosen so, or fallen back to. */
  private volatile boolean legacy;

  PandaClient(PandaConfig config) {
    this.config = config;
    this.legacy = config.api() == PandaConfig.Api.LEGACY;
    Timeout t = Timeout.of(config.timeout());
    PoolingHttpClientConnectionManagerBuilder connections = PoolingHttpClientConnectionManagerBuilder.create()
        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(t).setSocketTimeout(t).build())
        .setMaxConnTotal(32).setMaxConnPerRoute(32);
    if (config.clientKeystore() != null || config.trust() != null) {
      try {
        connections.setTlsSocketStrategy(new DefaultClientTlsStrategy(
            Trust.context(config.clientKeystore(), config.clientKeystorePassword(), config.trust())));
      } catch (IOException e) {
        throw new ConfigException("panda.client-keystore / panda.trust: " + e.getMessage());
      }
    }
    this.http = HttpClients.custom()
        .setConnectionManager(connections.build())
        .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(t).build())
        .disableAutomaticRetries()
        .build();
  }

  /**
   * Calls {@code method} ({@code getJob} or {@code updateJob}) and returns the answer's fields as text,
   * whose {@code StatusCode} is 0, 20 or 30.
   *
   * @throws UpstreamUnavailableException when every attempt failed or the credential was refused
   */
  Map<String, String> call(String method, Map<String, String> form) throws UpstreamUnavailableException {
    return Retry.call("PanDA " + method + " at " + config.url(), config.attempts(), config.backoffMin(), log,
        () -> legacy ? legacyAttempt(method, form) : v1Attempt(method, form));
  }

  private Retry.Attempt<Map<String, String>> legacyAttempt(String method, Map<String, String> form) {
    ClassicRequestBuilder request = ClassicRequestBuilder.post(config.url() + "/server/panda/" + method)
        .setEntity(new StringEntity(encode(form), ContentType.APPLICATION_FORM_URLENCODED))
        .addHeader("Accept", "application/json");
    return send(request, text -> {
      Map<String, String> answer = text.strip().startsWith("{") ? fields(JSON.readTree(text)) : decode(text);
      return statusOf(answer, text);
    });
  }

  private Retry.Attempt<Map<String, String>> v1Attempt(String method, Map<String, String> form) {
    boolean acquire = method.equals("getJob");
    ObjectNode body = JSON.createObjectNode();
    form.forEach((k, v) -> {
      String name = V1_NAMES.get(k);
      if (name != null) {
        if (V1_INTEGERS.contains(name) && v.matches("-?\\d{1,18}")) {
          body.put(name, Long.parseLong(v));
        } else {
          body.put(name, v);
        }
      }
    });
    boolean bulk = acquire && form.containsKey("nJobs");
    if (acquire && !bulk) {
      body.put("n_jobs", 1);
    }
    ClassicRequestBuilder request = ClassicRequestBuilder
        .post(config.url() + "/api/v1/pilot/" + (acquire ? "acquire_jobs" : "update_job"))
        .setEntity(new StringEntity(body.toString(), ContentType.APPLICATION_JSON))
        .addHeader("Accept", "application/json");
    Retry.Attempt<Map<String, String>> result = send(request, text -> envelope(acquire, bulk, text));
    if (result instanceof Retry.Failed<Map<String, String>> f && f.message().startsWith(NO_METHOD)
        && config.api() == PandaConfig.Api.AUTO) {
      legacy = true;
      log.info("PanDA at {} has no v1 API ({}); using the legacy API from now on", config.url(),
          Untrusted.text(f.message()));
      return legacyAttempt(method, form);
    }
    return result;
  }

  /** The longest answer read: a bulk getJob of a thousand jobs with their inputs stays below it. */
  private static final int MAX_ANSWER_CHARS = 16 << 20;

  private static final String NO_METHOD = "the server has no such method: ";

  /** The fields of a v1 answer, in the legacy form: {@code StatusCode}, {@code errorDialog}, the job's fields. */
  private static Retry.Attempt<Map<String, String>> envelope(boolean acquire, boolean bulk, String text) throws IOException {
    JsonNode root = JSON.readTree(text);
    if (root == null || !root.isObject() || !root.path("success").isBoolean()) {
      return new Retry.Failed<>("answer without the v1 envelope: " + Untrusted.text(text, 80), true);
    }
    String message = root.path("message").asText("");
    JsonNode data = root.path("data");
    if (!root.get("success").asBoolean()) {
      if (acquire && message.equals(V1_NO_JOBS)) {
        return new Retry.Done<>(Map.of("StatusCode", "20", "errorDialog", message));
      }
      if (data.isObject() && data.has("StatusCode")) {
        Map<String, String> answer = fields(data);
        answer.put("errorDialog", message);
        return statusOf(answer, text);
      }
      boolean timedOut = message.equals("Timed out");
      return new Retry.Failed<>("PanDA refused the call: " + Untrusted.text(message, 200), timedOut);
    }
    if (!data.isObject()) {
      return new Retry.Failed<>("a v1 answer without data: " + Untrusted.text(text, 80), true);
    }
    Map<String, String> answer;
    if (bulk) {
      answer = fields(data);
    } else if (acquire) {
      JsonNode jobs = data.path("jobs");
      if (!jobs.isArray() || jobs.isEmpty() || !jobs.get(0).isObject()) {
        return new Retry.Failed<>("a v1 acquire answer without jobs: " + Untrusted.text(text, 80), true);
      }
      answer = fields(jobs.get(0));
    } else {
      answer = fields(data);
    }
    if (!message.isEmpty()) {
      answer.putIfAbsent("errorDialog", message);
    }
    return statusOf(answer, text);
  }

  /**
   * The jobs of a bulk {@code getJob} answer, whose {@code jobs} field is a JSON array (as text, as a form
   * answer and {@link #call} give it), each job's fields as text.
   *
   * @throws UpstreamUnavailableException if the field is not an array of objects
   */
  static List<Map<String, String>> jobs(String jobsField) throws UpstreamUnavailableException {
    try {
      JsonNode array = JSON.readTree(jobsField == null ? "" : jobsField);
      List<Map<String, String>> jobs = new java.util.ArrayList<>();
      if (array != null && array.isArray()) {
        for (JsonNode job : array) {
          if (job.isObject()) {
            jobs.add(fields(job));
          }
        }
        if (jobs.size() == array.size()) {
          return jobs;
        }
      }
    } catch (IOException e) {
      // Reported below, as any other answer PanDA would not send.
    }
    throw new UpstreamUnavailableException("a bulk getJob answer whose jobs are not a list of jobs: "
        + Untrusted.text(jobsField, 80), null);
  }

  /** An answer's fields as text, integers as written; {@code null} values are left out. */
  private static Map<String, String> fields(JsonNode object) {
    Map<String, String> m = new LinkedHashMap<>();
    object.properties().forEach(e -> {
      if (!e.getValue().isNull()) {
        m.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
      }
    });
    return m;
  }

  private static Retry.Attempt<Map<String, String>> statusOf(Map<String, String> answer, String text) {
    String code = answer.get("StatusCode");
    if (code == null || !code.matches("\\d{1,3}")) {
      return new Retry.Failed<>("answer without a StatusCode: " + Untrusted.text(text, 80), true);
    }
    return switch (Integer.parseInt(code)) {
      case 0, 20, 30 -> new Retry.Done<>(answer);
      case 10 -> new Retry.Failed<>("StatusCode 10 (timeout)", true);
      case 50 -> new Retry.Failed<>("StatusCode 50 (invalid token)", false);
      case 60 -> new Retry.Failed<>("StatusCode 60 (invalid role)", false);
      case 70 -> new Retry.Failed<>("StatusCode 70 (permission denied)", false);
      default -> new Retry.Failed<>("StatusCode " + code + " "
          + Untrusted.text(answer.getOrDefault("errorDialog", ""), 200), true);
    };
  }

  /** An answer body, read into an attempt; an exception reading it is an answer PanDA would not send. */
  private interface Reader {
    Retry.Attempt<Map<String, String>> read(String text) throws IOException;
  }

  private Retry.Attempt<Map<String, String>> send(ClassicRequestBuilder request, Reader reader) {
    if (config.token() != null) {
      request.addHeader("Authorization", "Bearer " + config.token());
    }
    try {
      return http.execute(request.build(), response -> {
        String text = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity(), MAX_ANSWER_CHARS);
        int status = response.getCode();
        if (status == 404 || (status == 403 && text.contains("is forbidden"))) {
          return new Retry.Failed<>(NO_METHOD + "HTTP " + status + " " + Untrusted.text(text, 120), false);
        }
        if (status != 200) {
          return new Retry.Failed<>("HTTP " + status + " " + Untrusted.text(text, 120),
              status >= 500 || status == 429);
        }
        try {
          return reader.read(text);
        } catch (IOException | RuntimeException e) {
          return new Retry.Failed<>("an answer PanDA would not send: " + Untrusted.text(text, 80), true);
        }
      });
    } catch (IOException e) {
      return new Retry.Failed<>(e.toString(), true);
    } catch (IllegalStateException e) {
      if (!closed) {
        throw e;
      }
      // HttpClient's pool refuses a request once closed: a call racing the job manager's stop.
      return new Retry.Failed<>("the PanDA client is closed: the job manager is stopping", false);
    }
  }

  /** PanDA's form encoding, {@code key=value&...}, URL-encoded. */
  static String encode(Map<String, String> form) {
    return form.entrySet().stream()
        .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
        .collect(Collectors.joining("&"));
  }

  static Map<String, String> decode(String text) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : text.trim().split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        m.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return m;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    closed = true;
    try {
      http.close();
    } catch (IOException e) {
      // Closing idle connections cannot fail in a way worth reporting.
    }
  }
}
