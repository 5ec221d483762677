package org.cernvm.copilot.testkit.http;

import java.io.IOException;
import java.net.URI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A Jetty server on 127.0.0.1 for the testbed's fakes of upstream services: one endpoint function serves
 * every request, on blocking daemon worker threads, over HTTP or, given TLS settings, HTTPS.
 */
public final class LoopbackServer implements AutoCloseable {
  /** Serves one request; it must complete {@code callback}, usually by writing the response. */
  @FunctionalInterface
  public interface Endpoint {
    void serve(Request request, Response response, Callback callback) throws Exception;
  }

  private final String what;
  private final Server server;
  private final ServerConnector connector;
  private final boolean https;

  private LoopbackServer(String what, Server server, ServerConnector connector, boolean https) {
    this.what = what;
    this.server = server;
    this.connector = connector;
    this.https = https;
  }

  /**
   * Starts a server.
   *
   * @param what what it is, for thread names and messages, e.g. {@code fake-panda}
   * @param port the port, 0 for any free one
   * @param tls the TLS settings for HTTPS, or {@code null} for HTTP
   * @throws IOException if it cannot listen
   */
  public static LoopbackServer start(String what, int port, SslContextFactory.Server tls, Endpoint endpoint)
      throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(16, 2);
    threads.setName(what);
    threads.setDaemon(true);
    Server server = new Server(threads);
    ServerConnector connector;
    if (tls != null) {
      HttpConfiguration config = new HttpConfiguration();
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // Clients reach the fakes by IP address; checking the certificate against it is the client's part.
      secure.setSniHostCheck(false);
      config.addCustomizer(secure);
      connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(config));
    } else {
      connector = new ServerConnector(server);
    }
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) throws Exception {
        endpoint.serve(request, response, callback);
        return true;
      }
    });
    try {
      server.start();
    } catch (Exception e) {
      throw new IOException("cannot start " + what + " on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
    return new LoopbackServer(what, server, connector, tls != null);
  }

  /** The base URL, e.g. {@code http://127.0.0.1:25080}. */
  public URI url() {
    return URI.create((https ? "https" : "http") + "://127.0.0.1:" + connector.getLocalPort());
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop " + what, e);
    }
  }
}
