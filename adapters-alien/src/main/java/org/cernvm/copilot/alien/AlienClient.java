package org.cernvm.copilot.alien;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.http.io.support.ClassicRequestBuilder;
import org.apache.hc.core5.util.Timeout;
import org.cernvm.copilot.jobmanager.Retry;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the AliEn central services with JSON bodies and the JobAgent credential. HTTP 5xx and broken
 * connections are retried ({@link Retry}); 401 is a refused credential; 409 carries a refusal the caller
 * reads from the answer's {@code error}.
 */
final class AlienClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlienClient.class);

  private final AlienConfig config;
  private final CloseableHttpClient http;
  /** Set before the HTTP client closes, so that a call it then refuses is told from any other failure. */
  private volatile boolean closed;
  private final ObjectMapper json = new ObjectMapper();

  AlienClient(AlienConfig config) {
    this.config = config;
    Timeout t = Timeout.of(config.timeout());
    this.http = HttpClients.custom()
        .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
            .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(t).setSocketTimeout(t).build())
            .setMaxConnTotal(32).setMaxConnPerRoute(32).build())
        .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(t).build())
        .disableAutomaticRetries()
        .build();
  }

  /** Calls {@code path} with {@code body}; the answer of a 200 or 409. */
  JsonNode call(String path, Map<String, ?> body) throws UpstreamUnavailableException {
    return Retry.call("AliEn " + path, config.attempts(), config.backoffMin(), log, () -> attempt(path, body));
  }

  private Retry.Attempt<JsonNode> attempt(String path, Map<String, ?> body) {
    try {
      String text = json.writeValueAsString(body);
      return http.execute(ClassicRequestBuilder.post(config.url() + path)
          .addHeader("Authorization", "Bearer " + config.agentToken())
          .setEntity(new StringEntity(text, ContentType.APPLICATION_JSON)).build(), response -> {
            String answer = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity());
            int code = response.getCode();
            if (code == 200 || code == 409) {
              try {
                return new Retry.Done<>(json.readTree(answer));
              } catch (IOException e) {
                return new Retry.Failed<>("answer is not JSON", true);
              }
            }
            return new Retry.Failed<>("HTTP " + code + " " + response.getReasonPhrase(), code >= 500);
          });
    } catch (IOException e) {
      return new Retry.Failed<>(e.toString(), true);
    } catch (IllegalStateException e) {
      if (!closed) {
        throw e;
      }
      // HttpClient's pool refuses a request once closed: a call racing the job manager's stop.
      return new Retry.Failed<>("the AliEn client is closed: the job manager is stopping", false);
    }
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
