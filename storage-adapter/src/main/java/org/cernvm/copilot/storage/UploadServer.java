package org.cernvm.copilot.storage;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.UploadReceipt;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The upload endpoint on Jetty: {@code PUT} and {@code POST} on {@code /v1/outputs/...}, answered by the
 * {@link StorageAdapter}. A {@code PUT} is decided on its headers before any of its body is read; an admitted
 * body is read as a blocking stream on a worker thread, which it is given only once its first bytes have come,
 * and must keep up {@link StorageConfig#minDataRate()}. A refused body is not waited for: the answer closes
 * the connection.
 */
final class UploadServer implements AutoCloseable {
  /** The most of a refused or abandoned body that is read off, and only as far as it has already arrived. */
  private static final int DRAIN_LIMIT = 64 << 10;
  private static final String RETRY_AFTER_SECONDS = "5";
  private final Server server;
  private final ServerConnector connector;

  private UploadServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * The largest request header accepted, against Jetty's 8 KiB default. An upload carries the job's sealed
   * ticket ({@link UploadReceipt#TICKET_HEADER}), which grows with the job (a PanDA job's fields, a derivation's
   * many inputs) up to what a message holds ({@link MessageCodec#MAX_BODY_BYTES}), with room for the grant
   * token and the other headers. A client may hold that much while it sends its header, byte by byte, before
   * any grant is checked: {@link StorageConfig#maxConnections()} bounds how many such connections are open.
   */
  static final int MAX_REQUEST_HEADER_BYTES = MessageCodec.MAX_BODY_BYTES + 32 * 1024;

  /**
   * Opens the endpoint.
   *
   * @param nanoTime the monotonic clock that upload bodies' rates are measured by
   */
  static UploadServer start(StorageConfig config, StorageAdapter adapter, LongSupplier nanoTime) throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("storage-http");
    threads.setDaemon(true);
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(MAX_REQUEST_HEADER_BYTES);
    HttpConnectionFactory http11 = new HttpConnectionFactory(http);
    // When an answer is complete and its body is not, Jetty reads off only what has already arrived, a buffer at a
    // time, and closes the connection if that was not the end. Bounding the reads bounds what a refused body costs.
    http.setMaxUnconsumedRequestContentReads(Math.max(1, DRAIN_LIMIT / http11.getInputBufferSize()));
    ServerConnector connector;
    if (config.tlsKeystore() != null) {
      SslContextFactory.Server tls = new SslContextFactory.Server();
      tls.setKeyStorePath(config.tlsKeystore().toAbsolutePath().toString());
      tls.setKeyStoreType("PKCS12");
      tls.setKeyStorePassword(config.tlsKeystorePassword());
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // Agents reach storage adapters by IP address as often as by name; the certificate check is theirs.
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"), http11);
    } else {
      connector = new ServerConnector(server, http11);
    }
    connector.setHost(config.bindHost());
    connector.setPort(config.port());
    connector.setIdleTimeout(config.idleTimeout().toMillis());
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(config.maxConnections(), connector));
    server.setHandler(new UploadHandler(config, adapter, nanoTime));
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

  /** The endpoint's routes. */
  private static final class UploadHandler extends Handler.Abstract {
    private final StorageConfig config;
    private final StorageAdapter adapter;
    private final LongSupplier nanoTime;

    UploadHandler(StorageConfig config, StorageAdapter adapter, LongSupplier nanoTime) {
      this.config = config;
      this.adapter = adapter;
      this.nanoTime = nanoTime;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = request.getHttpURI().getPath();
      String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
      String ticket = request.getHeaders().get(UploadReceipt.TICKET_HEADER);
      switch (request.getMethod()) {
        case "PUT" -> put(request, response, callback, path, auth, ticket);
        case "POST" -> answer(request, response, callback, adapter.register(path, auth, ticket), false);
        default -> answer(request, response, callback, new StorageAdapter.Answer(405, new UploadReceipt(path, false,
            false, null, "the upload endpoint takes PUT (upload) and POST (register), not " + request.getMethod())),
            false);
      }
      return true;
    }

    private void put(Request request, Response response, Callback callback, String path, String auth,
        String ticket) {
      StorageAdapter.Admission admission = adapter.admit(path, auth, ticket, request.getLength());
      if (admission instanceof StorageAdapter.Refused refused) {
        answer(request, response, callback, refused.answer(), false);
        return;
      }
      StorageAdapter.Admitted admitted = (StorageAdapter.Admitted) admission;
      MinimumRateRequest body =
          new MinimumRateRequest(request, config.minDataRate(), config.minDataRateGrace(), nanoTime);
      // Waiting for the first bytes holds no thread, so a client that declares a body and sends nothing costs a
      // connection until the idle timeout, not a worker. The demand is also what sends "100 Continue". The blocking
      // read runs on a worker of its own: Jetty runs demand callbacks one at a time, and the stream's own demands
      // would wait behind this one.
      body.demand(Invocable.from(Invocable.InvocationType.NON_BLOCKING, () -> {
        try {
          request.getContext().execute(() -> receive(admitted, body, response, callback));
        } catch (RejectedExecutionException e) {
          admitted.slot().close();
          callback.failed(e);
        }
      }));
    }

    private void receive(StorageAdapter.Admitted admitted, MinimumRateRequest body, Response response,
        Callback callback) {
      StorageAdapter.Answer answer;
      try {
        answer = adapter.receive(admitted, Content.Source.asInputStream(body));
      } catch (RuntimeException e) {
        callback.failed(e);
        return;
      }
      answer(body, response, callback, answer, body.complete());
    }
  }

  /**
   * Writes {@code answer}. Unless the whole body was read, the connection closes after it: the rest of a refused
   * or failed body is not waited for, and a client that sends its body without reading the answer still finds
   * the answer before the end of the stream.
   */
  private static void answer(Request request, Response response, Callback callback, StorageAdapter.Answer answer,
      boolean bodyRead) {
    response.setStatus(answer.status());
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    if (answer.status() == 503 || answer.status() == 429) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SECONDS);
    }
    if (!bodyRead && (request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING))) {
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }
    Content.Sink.write(response, true, answer.receipt().toJson(), callback);
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
