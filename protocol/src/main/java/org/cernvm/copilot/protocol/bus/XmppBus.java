package org.cernvm.copilot.protocol.bus;

import java.util.stream.Collectors;
import java.util.HashSet;
import java.util.Set;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.WireJson;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.cernvm.copilot.protocol.tls.Trust;
import org.jivesoftware.smack.ConnectionConfiguration;
import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.SmackConfiguration;
import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.provider.ProviderManager;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jivesoftware.smackx.iqregister.packet.Registration;
import org.jivesoftware.smackx.iqregister.provider.RegistrationProvider;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Localpart;
import org.jxmpp.stringprep.XmppStringprepException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Bus} over XMPP with Smack 4.4.
 *
 * <p>Every CoPilot message travels as the JSON body of a {@code <message type='normal'>} stanza whose
 * stanza id is the message id, so that a bounce from the server fails the matching request at once.
 * Messages rather than IQs are used because an IQ to a bare address is answered by the server itself,
 * whereas a message to a bare address reaches every online resource of the account: that is how several
 * job managers logged in under one account share the service address.
 *
 * <p>Connection: STARTTLS as {@link XmppSettings#security()} says, TCP_NODELAY, stream management off
 * (with it, request/response rates drop to tens per second). The bus logs in in the background and
 * reconnects after any failure with exponential backoff and jitter between {@code reconnectMin} and
 * {@code reconnectMax}; Smack's own ReconnectionManager is not used because it does not retry a first
 * connection that fails. With several servers ({@link XmppSettings#servers()}, the nodes of a cluster), it
 * stays on the one it logged in to, and moves to the next in the list when that one cannot be reached or
 * drops the connection: the next attempt after a loss goes to the next server.
 *
 * <p>Nothing a peer sends may make this bus write what the server refuses, since a server closes the
 * stream of a client that writes malformed XML or an oversized stanza, and with it every lease the
 * component holds. So the bus answers IQ requests itself (Smack 4.4 answers an IQ it cannot parse with
 * malformed XML, and echoes any other), writes only XML-legal characters, and refuses to send a stanza
 * larger than {@link #MAX_STANZA_BYTES}.
 */
public final class XmppBus extends AbstractBus {
  private static final Logger log = LoggerFactory.getLogger(XmppBus.class);
  /** The largest stanza sent: 256 KiB, the default limit of Prosody ({@code c2s_stanza_size_limit}) and ejabberd. */
  public static final int MAX_STANZA_BYTES = 256 * 1024;
  /** What a stanza adds to its body, beyond the addresses and the id: element names, type, the server's from. */
  private static final int STANZA_OVERHEAD_BYTES = 128;

  private final XmppSettings settings;
  private final Executor executor;
  private final Object lock = new Object();
  /** The connection to the server tried or logged in to now; replaced when the bus moves to another. */
  private volatile XMPPTCPConnection connection;
  /** The index in the server list of {@link #connection}'s server. */
  private int server;
  /** The servers on which the account has been registered (or found to exist), by index. */
  private final Set<Integer> registered = new HashSet<>();
  private boolean connecting;
  private int failures;
  private volatile boolean closed;

  private XmppBus(XmppSettings settings, MessageSecurity security, Scheduler scheduler, Executor executor) {
    super(security, settings.unauthenticated(), scheduler, executor);
    this.settings = settings;
    this.executor = executor;
  }

  /** A new connection to {@code s}, its listeners set. */
  private XMPPTCPConnection connectionTo(XmppSettings.Server s) {
    XMPPTCPConnection c = new GuardedConnection(configuration(settings, s), executor,
        new GuardedConnection.Strangers() {
          @Override
          public boolean charge(Address from, Runnable logLine) {
            return chargeStranger(from, logLine);
          }

          @Override
          public boolean mayLog() {
            return mayLogStranger();
          }
        });
    c.setUseStreamManagement(false);
    c.setReplyTimeout(settings.replyTimeout().toMillis());
    c.addSyncStanzaListener(stanza -> onMessage((Message) stanza), StanzaTypeFilter.MESSAGE);
    c.addConnectionListener(
        new ConnectionListener() {
          @Override
          public void connectionClosedOnError(Exception e) {
            log.warn("lost XMPP connection of {} to {}: {}", settings.username(), s, e.toString());
            failAllPending("XMPP connection lost");
            moveOn(c);
            reconnectLater();
          }
        });
    return c;
  }

  /** After {@code failed} failed, the next attempt goes to the next server, if there are several. */
  private void moveOn(XMPPTCPConnection failed) {
    synchronized (lock) {
      if (connection == failed && settings.servers().size() > 1) {
        server = (server + 1) % settings.servers().size();
        connection = null;
      }
    }
  }

  /** The server now tried or logged in to. */
  private XmppSettings.Server current() {
    synchronized (lock) {
      return settings.servers().get(server);
    }
  }

  static XmppBus open(XmppSettings settings, MessageSecurity security, Scheduler scheduler, Executor executor) {
    XmppBus bus = new XmppBus(settings, security, scheduler, executor);
    bus.connectIn(Duration.ZERO);
    return bus;
  }

  @Override
  public Address self() {
    XMPPTCPConnection c = connection;
    var user = c == null ? null : c.getUser();
    return user != null
        ? Address.of(user.toString())
        : Address.of(settings.username() + "@" + settings.domain() + "/" + settings.resource());
  }

  @Override
  public boolean isConnected() {
    XMPPTCPConnection c = connection;
    return c != null && c.isAuthenticated();
  }

  /**
   * Waits until the bus has logged in.
   *
   * @throws BusException if it has not within {@code timeout}
   */
  public void awaitConnected(Duration timeout) throws BusException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!isConnected()) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          throw new BusException("not logged in to XMPP server " + servers() + " as "
              + settings.username() + " within " + timeout.toMillis() + " ms");
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
    }
  }

  @Override
  void transmit(Address to, String id, String body) throws BusException {
    Jid jid;
    try {
      jid = JidCreate.from(to.value());
    } catch (XmppStringprepException e) {
      throw new IllegalArgumentException("not an XMPP address: " + to, e);
    }
    int illegal = WireJson.firstIllegalXmlChar(body);
    if (illegal >= 0) {
      throw new BusException("cannot send " + id + " to " + Untrusted.text(to) + ": it holds U+"
          + String.format("%04X", (int) body.charAt(illegal)) + " at position " + illegal + ", which XML does not allow");
    }
    long bytes = WireJson.wireBytes(body) + to.value().length() * 3L + id.length() + self().value().length() * 3L
        + STANZA_OVERHEAD_BYTES;
    if (bytes > MAX_STANZA_BYTES) {
      throw new BusException("cannot send " + id + " to " + Untrusted.text(to) + ": its stanza would take " + bytes
          + " bytes, more than the " + MAX_STANZA_BYTES + " an XMPP server accepts");
    }
    Message stanza = StanzaBuilder.buildMessage(id).to(jid).ofType(Message.Type.normal).setBody(body).build();
    XMPPTCPConnection c = connection;
    if (c == null) {
      throw new BusException("not connected to XMPP server " + servers());
    }
    try {
      c.sendStanza(stanza);
    } catch (SmackException.NotConnectedException e) {
      throw new BusException("not connected to XMPP server " + current(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BusException("interrupted while sending to " + to, e);
    }
  }

  private void onMessage(Message message) {
    Address from = message.getFrom() == null ? Address.of(settings.domain()) : Address.of(message.getFrom().toString());
    if (message.getType() == Message.Type.error) {
      StanzaError error = message.getError();
      String condition = error == null ? "unknown error" : error.getCondition().toString();
      undeliverable(from, message.getStanzaId() == null ? "" : message.getStanzaId(),
          "XMPP server could not deliver to " + Untrusted.text(from) + ": " + condition);
      return;
    }
    String body = message.getBody();
    if (body != null) {
      receive(from, body);
    }
  }

  private void connectIn(Duration delay) {
    synchronized (lock) {
      if (connecting || closed) {
        return;
      }
      connecting = true;
    }
    scheduler.schedule(delay, () -> executor.execute(this::attempt));
  }

  private void reconnectLater() {
    if (!closed) {
      connectIn(backoff());
    }
  }

  private void attempt() {
    XMPPTCPConnection c;
    XmppSettings.Server s;
    int index;
    synchronized (lock) {
      connecting = false;
      if (closed || isConnected()) {
        return;
      }
      index = server;
      s = settings.servers().get(index);
    }
    XMPPTCPConnection fresh = null;
    try {
      // Made outside the lock: it resolves the server's name.
      fresh = connection == null ? connectionTo(s) : null;
    } catch (RuntimeException e) {
      failed(null, s, e);
      return;
    }
    synchronized (lock) {
      if (connection == null) {
        connection = fresh;
      }
      c = connection;
    }
    if (c == null) {
      // The connection was dropped while this attempt began; the next one makes a new one.
      connectIn(Duration.ZERO);
      return;
    }
    try {
      if (!c.isConnected()) {
        c.connect();
      }
      registerOnce(c, index);
      c.login();
      synchronized (lock) {
        failures = 0;
        lock.notifyAll();
      }
      log.info("logged in to XMPP server {} as {}", s, c.getUser());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SmackException | XMPPException | IOException | RuntimeException e) {
      if (c.isConnected()) {
        c.instantShutdown();
      }
      failed(c, s, e);
    }
  }

  private void failed(XMPPTCPConnection c, XmppSettings.Server s, Exception e) {
    synchronized (lock) {
      if (c == null || connection == c) {
        connection = null;
        server = (server + 1) % settings.servers().size();
      }
    }
    Duration delay = backoff();
    log.warn("cannot log in to XMPP server {} as {}: {}; retrying{} in {} ms", s, settings.username(), e.toString(),
        settings.servers().size() > 1 ? " on " + current() : "", delay.toMillis());
    connectIn(delay);
  }

  private String servers() {
    return settings.servers().stream().map(XmppSettings.Server::toString)
        .collect(Collectors.joining(", "));
  }

  /**
   * Leaves out, for the whole process, the parts of Smack that a bus does not use: smack-extensions'
   * providers and managers, but for in-band registration, whose one provider {@link #registerOnce} adds
   * itself, and Smack's JNDI DNS resolver, since a bus connects to an address it resolves itself. It saves
   * about 3 MB of an idle agent. Call it before Smack is first used, in a process whose only Smack user is
   * the bus (the agent-only artifact).
   */
  public static void withoutUnusedSmackParts() {
    SmackConfiguration.addDisabledSmackClass("org.jivesoftware.smack.extensions.ExtensionsInitializer");
    SmackConfiguration.addDisabledSmackClass("org.jivesoftware.smack.util.dns.javax.JavaxResolver");
  }

  private void registerOnce(XMPPTCPConnection connection, int index)
      throws SmackException.NoResponseException, SmackException.NotConnectedException, InterruptedException,
          XMPPException.XMPPErrorException, XmppStringprepException {
    synchronized (lock) {
      if (!settings.register() || registered.contains(index)) {
        return;
      }
    }
    if (ProviderManager.getIQProvider(Registration.ELEMENT, Registration.NAMESPACE) == null) {
      // A process that has left smack-extensions' providers out (withoutUnusedSmackParts) still needs this one.
      ProviderManager.addIQProvider(Registration.ELEMENT, Registration.NAMESPACE, new RegistrationProvider());
    }
    AccountManager accounts = AccountManager.getInstance(connection);
    accounts.sensitiveOperationOverInsecureConnection(true);
    try {
      accounts.createAccount(Localpart.from(settings.username()), settings.password());
      log.info("registered XMPP account {}@{}", settings.username(), settings.domain());
    } catch (XMPPException.XMPPErrorException e) {
      if (e.getStanzaError().getCondition() != StanzaError.Condition.conflict) {
        throw e;
      }
    }
    synchronized (lock) {
      registered.add(index);
    }
  }

  private Duration backoff() {
    int n;
    synchronized (lock) {
      n = failures++;
    }
    long min = settings.reconnectMin().toMillis();
    long max = settings.reconnectMax().toMillis();
    long base = Math.min(max, min << Math.min(n, 20));
    long jitter = base / 5;
    long delay = base - jitter + (jitter == 0 ? 0 : ThreadLocalRandom.current().nextLong(2 * jitter + 1));
    return Duration.ofMillis(Math.max(min, Math.min(max, delay)));
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    stopBackgroundWork();
    failAllPending("bus closed");
    XMPPTCPConnection c = connection;
    if (c != null) {
      // Some servers never answer </stream:stream>; do not wait long for it.
      c.setReplyTimeout(500);
      c.disconnect();
    }
  }

  private static XMPPTCPConnectionConfiguration configuration(XmppSettings s, XmppSettings.Server server) {
    try {
      var builder =
          XMPPTCPConnectionConfiguration.builder()
              .setXmppDomain(s.domain())
              .setHostAddress(InetAddress.getByName(server.host()))
              .setPort(server.port())
              .setUsernameAndPassword(s.username(), s.password())
              .setResource(s.resource())
              .setSendPresence(true)
              .setCompressionEnabled(false)
              .setConnectTimeout((int) s.replyTimeout().toMillis())
              .setSocketFactory(new NoDelaySocketFactory())
              .setSecurityMode(
                  switch (s.security()) {
                    case REQUIRED -> ConnectionConfiguration.SecurityMode.required;
                    case IF_POSSIBLE -> ConnectionConfiguration.SecurityMode.ifpossible;
                    case DISABLED -> ConnectionConfiguration.SecurityMode.disabled;
                  });
      if (s.trustCertificate() != null) {
        builder.setCustomX509TrustManager(Trust.of(s.trustCertificate()));
      }
      if (!s.tlsProtocols().isEmpty()) {
        builder.setEnabledSSLProtocols(s.tlsProtocols().toArray(String[]::new));
      }
      return builder.build();
    } catch (IOException e) {
      throw new IllegalArgumentException("bad XMPP settings " + s + ": " + e.getMessage(), e);
    }
  }

  /** Opens sockets with TCP_NODELAY: CoPilot's small request/response messages must not wait for Nagle. */
  private static final class NoDelaySocketFactory extends SocketFactory {
    private final SocketFactory plain = SocketFactory.getDefault();

    @Override
    public Socket createSocket() throws IOException {
      return tuned(plain.createSocket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return tuned(plain.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      return tuned(plain.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return tuned(plain.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      return tuned(plain.createSocket(address, port, localAddress, localPort));
    }

    private static Socket tuned(Socket socket) throws IOException {
      socket.setTcpNoDelay(true);
      return socket;
    }
  }
}
