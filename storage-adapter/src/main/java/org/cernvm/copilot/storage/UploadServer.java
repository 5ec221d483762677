package org.cernvm.copilot.storage;

import java.io.IOException;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The upload endpoint on Jetty: {@code PUT} and {@code POST} on {@code /v1/outputs/...}, answered by the
 * {@link StorageAdapter}. Bodies are read as a blocking stream on Jetty's worker threads; the connector's
 * idle timeout ends uploads whose client has gone silent.
 */
final class UploadServer implements AutoCloseable {
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
    ServerConnector connector = new ServerConnector(server);
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
      throw new IOException("cannot open the upload endpoint on " + config.bindHost() + ":" + config.port() + ": "
          + e.getMessage(), e);
    }
    return new UploadServer(server, connector);
  }

  private static StorageAdapter.Answer route(StorageAdapter adapter, Request request) {
    String path = request.getHttpURI().getPath();
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    return switch (request.getMethod()) {
      case "PUT" -> adapter.upload(path, auth, request.getLength(), Content.Source.asInputStream(request));
      case "POST" -> adapter.register(path, auth);
      default -> new StorageAdapter.Answer(405, new UploadReceipt(path, false, false, null,
          "the upload endpoint takes PUT (upload) and POST (register), not " + request.getMethod()));
    };
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
