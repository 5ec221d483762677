package org.cernvm.copilot.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback that breaks its first {@code breaks} connections after forwarding
 * {@code cutAfter} bytes of the client's request, as a flaky network between a VM and the storage
 * adapter would, or stalls them there: the rest of the request is read and dropped, while the server's
 * answer still comes back; later connections pass untouched.
 */
final class FlakyProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final long cutAfter;
  private final AtomicInteger breaksLeft;
  private final AtomicInteger connections = new AtomicInteger();
  private final boolean stall;

  FlakyProxy(int targetPort, long cutAfter, int breaks) throws IOException {
    this(targetPort, cutAfter, breaks, false);
  }

  /** A proxy that stalls ({@code stall}) rather than breaks its first {@code breaks} connections. */
  FlakyProxy(int targetPort, long cutAfter, int breaks, boolean stall) throws IOException {
    this.stall = stall;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetPort = targetPort;
    this.cutAfter = cutAfter;
    this.breaksLeft = new AtomicInteger(breaks);
    Thread t = new Thread(this::accept, "flaky-proxy");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** How many connections clients have opened. */
  int connections() {
    return connections.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        connections.incrementAndGet();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        long limit = breaksLeft.getAndDecrement() > 0 ? cutAfter : Long.MAX_VALUE;
        pump(client, upstream, limit, true, stall);
        pump(upstream, client, Long.MAX_VALUE, false, false);
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void pump(Socket from, Socket to, long limit, boolean cutBoth, boolean stall) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      long sent = 0;
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          int take = (int) Math.min(n, limit - sent);
          out.write(buf, 0, take);
          sent += take;
          if (sent >= limit && !stall) {
            break;
          }
        }
      } catch (IOException e) {
        // One side went away; closing both below ends the other pump too.
      } finally {
        closeQuietly(from);
        if (cutBoth || limit == Long.MAX_VALUE) {
          closeQuietly(to);
        }
      }
    }, "flaky-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
