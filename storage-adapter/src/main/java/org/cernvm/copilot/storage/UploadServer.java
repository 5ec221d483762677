package org.cernvm.copilot.storage;

import java.io.IOException;
import java.io.InputStream;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The upload endpoint on Jetty: {@code PUT} and {@code POST} on {@code /v1/outputs/...}, answered by the
 * {@link StorageAdapter}. Bodies are read as a blocking stream on Jetty's worker threads; the connector's
 * idle timeout ends uploads whose client has gone silent.
 */
final class UploadServer implements AutoCloseable {
  private static final long DRAIN_LIMIT = 16L << 20;
  private final Server server;
  private final ServerConnector connector;

  private UploadServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  static UploadServer start(StorageConfig config, StorageAdapter adapter) throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("storage-http");
    threads.setDaemon(true);
    Server server = new Server(threads);
    ServerConnector connector;
    if (config.tlsKeystore() != null) {
      SslContextFactory.Server tls = new SslContextFactory.Server();
      tls.setKeyStorePath(config.tlsKeystore().toAbsolutePath().toString());
      tls.setKeyStoreType("PKCS12");
      tls.setKeyStorePassword(config.tlsKeystorePassword());
      HttpConfiguration https = new HttpConfiguration();
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // Agents reach storage adapters by IP address as often as by name; the certificate check is theirs.
      secure.setSniHostCheck(false);
      https.addCustomizer(secure);
      connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"),
          new HttpConnectionFactory(https));
    } else {
      connector = new ServerConnector(server);
    }
    connector.setHost(config.bindHost());
    connector.setPort(config.port());
    connector.setIdleTimeout(config.idleTimeout().toMillis());
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        StorageAdapter.Answer answer = route(adapter, request);
        response.setStatus(answer.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        if (answer.status() == 503) {
          response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
        }
        Content.Sink.write(response, true, answer.receipt().toJson(), callback);
        return true;
      }
    });
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception ignored) {
        // Already failing; the start failure is the one to report.
      }
      throw new IOException("cannot open the upload endpoint on " + config.scheme() + "://" + config.bindHost() + ":"
          + config.port() + ": "
          + e.getMessage(), e);
    }
    return new UploadServer(server, connector);
  }

  private static StorageAdapter.Answer route(StorageAdapter adapter, Request request) {
    String path = request.getHttpURI().getPath();
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    return switch (request.getMethod()) {
      case "PUT" -> {
        InputStream body = Content.Source.asInputStream(request);
        StorageAdapter.Answer answer = adapter.upload(path, auth, request.getLength(), body);
        if (answer.status() >= 400 && !request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
          drain(body);
        }
        yield answer;
      }
      case "POST" -> adapter.register(path, auth);
      default -> new StorageAdapter.Answer(405, new UploadReceipt(path, false, false, null,
          "the upload endpoint takes PUT (upload) and POST (register), not " + request.getMethod()));
    };
  }

  /**
   * Reads and discards what is left of a refused body, up to a limit. A client that sends its whole body
   * before reading the answer (no {@code Expect: 100-continue}) would otherwise see the connection reset
   * instead of the refusal.
   */
  private static void drain(InputStream body) {
    try {
      long left = DRAIN_LIMIT;
      byte[] buf = new byte[8192];
      for (int n; left > 0 && (n = body.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
        left -= n;
      }
    } catch (IOException e) {
      // The client has gone; there is nobody left to answer.
    }
  }

  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the upload endpoint", e);
    }
  }
}
