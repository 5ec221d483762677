package org.cernvm.copilot.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.FileEntity;
import org.apache.hc.core5.http.io.support.ClassicRequestBuilder;
import org.apache.hc.core5.util.Timeout;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.UploadGrant;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.tls.Trust;

/**
 * The agent's HTTP side of stage-out, on Apache HttpClient 5: it streams a file from disk to an upload
 * grant's URL, and asks for registration. It does not retry by itself; {@link StageOut} decides.
 */
final class Uploader implements AutoCloseable {
  /** An answer of the upload endpoint. */
  record Answer(int status, UploadReceipt receipt) {}

  private final Duration connectTimeout;
  private final Duration ioTimeout;
  private final SSLContext tls;
  private CloseableHttpClient http;

  /**
   * Creates the uploader; its HTTP client is made at the first upload.
   *
   * @param trust a PEM file with the certificate (or its CA) that HTTPS upload endpoints must present, or
   *     {@code null} for the JDK's trust store
   * @throws ConfigException if {@code trust} cannot be read
   */
  Uploader(Duration connectTimeout, Duration ioTimeout, Path trust) {
    this.connectTimeout = connectTimeout;
    this.ioTimeout = ioTimeout;
    try {
      this.tls = trust == null ? null : Trust.context(trust);
    } catch (IOException e) {
      throw new ConfigException("agent.storage-trust: " + e.getMessage());
    }
  }

  // Made at the first upload: an idle agent does not need HttpClient's 200 classes.
  private synchronized CloseableHttpClient http() {
    if (http == null) {
      Timeout io = Timeout.of(ioTimeout);
      PoolingHttpClientConnectionManagerBuilder connections = PoolingHttpClientConnectionManagerBuilder.create()
          .setDefaultConnectionConfig(ConnectionConfig.custom()
              .setConnectTimeout(Timeout.of(connectTimeout)).setSocketTimeout(io).build());
      if (tls != null) {
        connections.setTlsSocketStrategy(new DefaultClientTlsStrategy(tls));
      }
      http = HttpClients.custom()
          .setConnectionManager(connections.build())
          // Expect: 100-continue lets the storage adapter refuse a bad grant before the body is sent.
          .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(io).setExpectContinueEnabled(true).build())
          .disableAutomaticRetries()
          .disableRedirectHandling()
          .build();
    }
    return http;
  }

  /**
   * Streams {@code file} to the grant's URL with {@code PUT}, presenting the grant's opened {@code token} and
   * the job's {@code ticket}, which the grant binds by its digest.
   */
  Answer put(UploadGrant grant, String token, JobTicket ticket, Path file) throws IOException {
    return execute(grant, token, ticket, ClassicRequestBuilder.put(grant.url())
        .setEntity(new FileEntity(file.toFile(), ContentType.APPLICATION_OCTET_STREAM)));
  }

  /** Asks with {@code POST} for the job's outputs to be registered. */
  Answer register(UploadGrant grant, String token, JobTicket ticket) throws IOException {
    return execute(grant, token, ticket, ClassicRequestBuilder.post(grant.url()));
  }

  private Answer execute(UploadGrant grant, String token, JobTicket ticket, ClassicRequestBuilder builder)
      throws IOException {
    ClassicHttpRequest request = builder.addHeader("Authorization", "Bearer " + token)
        .addHeader(UploadReceipt.TICKET_HEADER, ticket.header()).build();
    return http().execute(request, response -> {
      String body = response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
      UploadReceipt receipt;
      try {
        receipt = UploadReceipt.fromJson(body);
      } catch (IllegalArgumentException e) {
        String text = body.length() > 200 ? body.substring(0, 200) + "…" : body;
        receipt = new UploadReceipt(grant.file(), false, false, null, response.getReasonPhrase() + " " + text.strip());
      }
      return new Answer(response.getCode(), receipt);
    });
  }

  @Override
  public synchronized void close() {
    if (http == null) {
      return;
    }
    try {
      http.close();
    } catch (IOException e) {
      // Closing idle connections cannot fail in a way worth reporting.
    }
  }
}
