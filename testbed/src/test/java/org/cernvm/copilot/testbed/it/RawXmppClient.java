package org.cernvm.copilot.testbed.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.cernvm.copilot.protocol.tls.Trust;

/**
 * An XMPP client of the tests' own, with an ordinary account and no CoPilot certificate, that writes
 * whatever stanzas a test gives it, byte for byte: STARTTLS, in-band registration, SASL PLAIN and resource
 * binding by hand (RFC 6120, XEP-0077), then raw XML. What the server sends back is kept as text, so that
 * a test can look for an answer.
 */
final class RawXmppClient implements AutoCloseable {
  private static final Pattern JID = Pattern.compile("<jid>([^<]+)</jid>");
  private static final int KEEP_CHARS = 4 << 20;

  private final Socket socket;
  private final OutputStream out;
  private final Reader in;
  private final StringBuilder received = new StringBuilder();
  private final String jid;
  private volatile boolean closed;
  private Thread reader;

  private RawXmppClient(Socket socket, OutputStream out, Reader in, String jid) {
    this.socket = socket;
    this.out = out;
    this.in = in;
    this.jid = jid;
  }

  /** Registers {@code user} if it does not exist, logs in and binds {@code resource}. */
  static RawXmppClient login(int port, String domain, Path caPem, String user, String password, String resource)
      throws IOException {
    Socket plain = new Socket();
    plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    plain.setSoTimeout(10_000);
    StringBuilder seen = new StringBuilder();
    Reader plainIn = new InputStreamReader(plain.getInputStream(), StandardCharsets.UTF_8);
    write(plain.getOutputStream(), open(domain));
    readUntil(plainIn, seen, "</stream:features>");
    write(plain.getOutputStream(), "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    readUntil(plainIn, seen, "<proceed");

    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {Trust.of(caPem)}, null);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("no TLS: " + e.getMessage(), e);
    }
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
    socket.startHandshake();
    OutputStream out = socket.getOutputStream();
    Reader in = new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8);

    write(out, open(domain));
    readUntil(in, seen, "</stream:features>");
    write(out, "<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>" + user + "</username>"
        + "<password>" + password + "</password></query></iq>");
    readUntil(in, seen, "reg1");
    readUntil(in, seen, "</iq>", "/>");
    String plainAuth = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    write(out, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plainAuth + "</auth>");
    String answer = readUntil(in, seen, "<success", "<failure");
    if (answer.contains("<failure")) {
      throw new IOException("the server refused the login of " + user + ": " + answer);
    }
    write(out, open(domain));
    readUntil(in, seen, "</stream:features>");
    write(out, "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource
        + "</resource></bind></iq>");
    Matcher m = JID.matcher(readUntil(in, seen, "</jid>"));
    if (!m.find()) {
      throw new IOException("no JID bound: " + seen);
    }
    write(out, "<presence/>");
    socket.setSoTimeout(0);
    RawXmppClient client = new RawXmppClient(socket, out, in, m.group(1));
    client.startReading();
    return client;
  }

  private static String open(String domain) {
    return "<?xml version='1.0'?><stream:stream to='" + domain + "' xmlns='jabber:client' "
        + "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
  }

  private static void write(OutputStream out, String xml) throws IOException {
    out.write(xml.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Reads into {@code seen} until one of {@code markers} arrives; returns and clears what was read. */
  private static String readUntil(Reader in, StringBuilder seen, String... markers) throws IOException {
    char[] buf = new char[8192];
    while (true) {
      for (String marker : markers) {
        int at = seen.indexOf(marker);
        if (at >= 0) {
          String upTo = seen.substring(0, at + marker.length());
          seen.delete(0, at + marker.length());
          return upTo;
        }
      }
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        throw new IOException("the server sent none of " + String.join(", ", markers) + " within 10 s: " + seen, e);
      }
      if (n < 0) {
        throw new IOException("the server closed the stream while we waited for " + markers[0] + ": " + seen);
      }
      seen.append(buf, 0, n);
    }
  }

  private void startReading() {
    reader = new Thread(() -> {
      char[] buf = new char[16384];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          synchronized (received) {
            received.append(buf, 0, n);
            if (received.length() > KEEP_CHARS) {
              received.delete(0, received.length() - KEEP_CHARS / 2);
            }
          }
        }
      } catch (IOException e) {
        // The stream is gone; closed() says so.
      }
      closed = true;
    }, "raw-xmpp-" + jid);
    reader.setDaemon(true);
    reader.start();
  }

  /** The full address the server bound. */
  String jid() {
    return jid;
  }

  /** Writes {@code xml} as it is. */
  void send(String xml) throws IOException {
    write(out, xml);
  }

  /** Everything the server has sent since the login (the newest {@value #KEEP_CHARS} characters). */
  String received() {
    synchronized (received) {
      return received.toString();
    }
  }

  /** Whether the server has closed this client's stream. */
  boolean closed() {
    return closed;
  }

  /** Waits until {@code text} has arrived, or {@code timeout} has passed. */
  boolean await(String text, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (received().contains(text)) {
        return true;
      }
      Thread.sleep(20);
    }
    return received().contains(text);
  }

  @Override
  public void close() throws IOException {
    try {
      write(out, "</stream:stream>");
    } catch (IOException e) {
      // Already gone.
    }
    socket.close();
  }
}
