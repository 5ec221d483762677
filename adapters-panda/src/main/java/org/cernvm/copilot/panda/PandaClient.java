package org.cernvm.copilot.panda;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
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
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.tls.Trust;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the PanDA job dispatcher as pilots do: {@code POST URL/server/panda/METHOD} with form-encoded
 * parameters, answered {@code key=value&...} with a {@code StatusCode}. Failures that may pass (no answer,
 * HTTP 5xx, an answer without a StatusCode) are tried again with doubling pauses, each logged; when every
 * attempt failed, or the credential is refused (StatusCode 50, 60, 70), the call fails with
 * {@link UpstreamUnavailableException}.
 */
final class PandaClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PandaClient.class);

  private final PandaConfig config;
  private final CloseableHttpClient http;

  PandaClient(PandaConfig config) {
    this.config = config;
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
   * Calls {@code method} and returns the decoded answer, whose {@code StatusCode} is 0, 20 or 30.
   *
   * @throws UpstreamUnavailableException when every attempt failed or the credential was refused
   */
  Map<String, String> call(String method, Map<String, String> form) throws UpstreamUnavailableException {
    return Retry.call("PanDA " + method + " at " + config.url(), config.attempts(), config.backoffMin(), log,
        () -> attempt(method, form));
  }

  private Retry.Attempt<Map<String, String>> attempt(String method, Map<String, String> form) {
    String body = encode(form);
    ClassicRequestBuilder request = ClassicRequestBuilder.post(config.url() + "/server/panda/" + method)
        .setEntity(new StringEntity(body, ContentType.APPLICATION_FORM_URLENCODED));
    if (config.token() != null) {
      request.addHeader("Authorization", "Bearer " + config.token());
    }
    try {
      return http.execute(request.build(), response -> {
            String text = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
            if (response.getCode() != 200) {
              return new Retry.Failed<>("HTTP " + response.getCode() + " " + response.getReasonPhrase(),
                  response.getCode() >= 500 || response.getCode() == 429);
            }
            Map<String, String> answer = decode(text);
            String code = answer.get("StatusCode");
            if (code == null || !code.matches("\\d+")) {
              return new Retry.Failed<>("answer without a StatusCode: " + abbreviate(text), true);
            }
            return switch (Integer.parseInt(code)) {
              case 0, 20, 30 -> new Retry.Done<>(answer);
              case 10 -> new Retry.Failed<>("StatusCode 10 (timeout)", true);
              case 50 -> new Retry.Failed<>("StatusCode 50 (invalid token)", false);
              case 60 -> new Retry.Failed<>("StatusCode 60 (invalid role)", false);
              case 70 -> new Retry.Failed<>("StatusCode 70 (permission denied)", false);
              default -> new Retry.Failed<>("StatusCode " + code + " " + answer.getOrDefault("errorDialog", ""), true);
            };
          });
    } catch (IOException e) {
      return new Retry.Failed<>(e.toString(), true);
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

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  @Override
  public void close() {
    try {
      http.close();
    } catch (IOException e) {
      // Closing idle connections cannot fail in a way worth reporting.
    }
  }
}
