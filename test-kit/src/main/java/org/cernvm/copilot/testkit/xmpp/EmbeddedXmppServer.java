package org.cernvm.copilot.testkit.xmpp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.apache.mina.core.filterchain.DefaultIoFilterChainBuilder;
import org.apache.mina.filter.codec.ProtocolCodecFilter;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.apache.vysper.mina.XmppIoHandlerAdapter;
import org.apache.vysper.mina.codec.XMPPProtocolCodecFactory;
import org.apache.vysper.storage.inmemory.MemoryStorageProviderRegistry;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.authorization.AccountCreationException;
import org.apache.vysper.xmpp.authorization.AccountManagement;
import org.apache.vysper.xmpp.modules.extension.xep0119_xmppping.XmppPingModule;
import org.apache.vysper.xmpp.server.Endpoint;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.XMPPServer;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Pem;

/**
 * A real XMPP server inside the JVM, on a free loopback port: Apache Vysper 0.7 with in-memory accounts
 * and a TLS certificate from the key manager. It is the zero-setup default of the testbed; production uses
 * Prosody or ejabberd.
 *
 * <p>Vysper needs some care: it only allows PLAIN login after STARTTLS, and its STARTTLS handshake hangs
 * with TLS 1.3, so clients are told to require TLS 1.2; its stock endpoint binds every interface and runs
 * several I/O threads over a decoder that is not thread-safe, so this class binds loopback with one I/O
 * thread.
 */
public final class EmbeddedXmppServer implements XmppAccounts, AutoCloseable {
  private final String domain;
  private final XMPPServer server;
  private final LoopbackEndpoint endpoint;
  private final AccountManagement accounts;
  private final Path certificatePem;

  private EmbeddedXmppServer(
      String domain, XMPPServer server, LoopbackEndpoint endpoint, AccountManagement accounts, Path certificatePem) {
    this.domain = domain;
    this.server = server;
    this.endpoint = endpoint;
    this.accounts = accounts;
    this.certificatePem = certificatePem;
  }

  /**
   * Starts a server for {@code domain} presenting {@code tls}, a certificate the key manager issued; the
   * CA certificate, which clients trust, is written to {@code workDir}.
   *
   * @throws IOException if it cannot listen or write the certificate
   */
  public static EmbeddedXmppServer start(String domain, Credentials tls, X509Certificate ca, Path workDir)
      throws IOException {
    return start(domain, tls, ca, workDir, 0);
  }

  /**
   * {@link #start(String, Credentials, X509Certificate, Path)} on {@code port} of 127.0.0.1; 0 picks a free
   * port. A server started again on the port of one that was closed stands in for a restarted server.
   */
  public static EmbeddedXmppServer start(String domain, Credentials tls, X509Certificate ca, Path workDir, int port)
      throws IOException {
    try {
      Path pem = workDir.resolve("xmpp-ca.pem");
      Files.writeString(pem, Pem.of(ca));
      char[] storePassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(16)).toCharArray();
      KeyStore store = KeyStore.getInstance("JKS");
      store.load(null, null);
      store.setKeyEntry("xmpp", tls.key(), storePassword, new Certificate[] {tls.certificate(), ca});
      ByteArrayOutputStream keyStore = new ByteArrayOutputStream();
      store.store(keyStore, storePassword);

      MemoryStorageProviderRegistry providers = new MemoryStorageProviderRegistry();
      AccountManagement accounts = (AccountManagement) providers.retrieve(AccountManagement.class);
      XMPPServer server = new XMPPServer(domain);
      server.setStorageProviderRegistry(providers);
      server.setTLSCertificateInfo(new ByteArrayInputStream(keyStore.toByteArray()), new String(storePassword));
      LoopbackEndpoint endpoint = new LoopbackEndpoint(port);
      server.addEndpoint(endpoint);
      server.start();
      server.addModule(new XmppPingModule());
      return new EmbeddedXmppServer(domain, server, endpoint, accounts, pem);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot load the embedded server's certificate: " + e.getMessage(), e);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot start the embedded XMPP server: " + e, e);
    }
  }

  /** The port it listens on, on 127.0.0.1. */
  public int port() {
    return endpoint.port;
  }

  /** The XMPP domain it serves. */
  @Override
  public String domain() {
    return domain;
  }

  /** Creates an account. */
  public void addUser(String user, String password) {
    try {
      accounts.addUser(EntityImpl.parseUnchecked(user + "@" + domain), password);
    } catch (AccountCreationException e) {
      throw new IllegalStateException("cannot create account " + user + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code user} has a session bound on this server now. */
  public boolean online(String user) {
    return !server.getServerRuntimeContext().getResourceRegistry()
        .getSessions(EntityImpl.parseUnchecked(user + "@" + domain)).isEmpty();
  }

  /** Creates the account unless it exists, and returns {@link #clientSettings} for it. */
  @Override
  public XmppSettings account(String user, String password, String resource) {
    try {
      if (!accounts.verifyAccountExists(EntityImpl.parseUnchecked(user + "@" + domain))) {
        addUser(user, password);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot create account " + user + ": " + e.getMessage(), e);
    }
    return clientSettings(user, password, resource);
  }

  /** Client settings for an account on this server: TLS 1.2 required, trusting only the key manager's CA. */
  public XmppSettings clientSettings(String user, String password, String resource) {
    return new XmppSettings(
        "127.0.0.1",
        port(),
        domain,
        user,
        password,
        resource,
        XmppSettings.Security.REQUIRED,
        certificatePem,
        List.of("TLSv1.2"),
        false,
        Duration.ofSeconds(10),
        Duration.ofMillis(200),
        Duration.ofSeconds(5));
  }

  @Override
  public void close() {
    server.stop();
  }

  /** Vysper's TCP endpoint, bound to loopback with one I/O thread; port 0 picks a free port. */
  private static final class LoopbackEndpoint implements Endpoint {
    private ServerRuntimeContext context;
    private NioSocketAcceptor acceptor;
    private volatile int port;

    LoopbackEndpoint(int port) {
      this.port = port;
    }

    @Override
    public void setServerRuntimeContext(ServerRuntimeContext context) {
      this.context = context;
    }

    @Override
    public void start() throws IOException {
      acceptor = new NioSocketAcceptor(1);
      DefaultIoFilterChainBuilder chain = new DefaultIoFilterChainBuilder();
      chain.addLast("xmppCodec", new ProtocolCodecFilter(new XMPPProtocolCodecFactory()));
      acceptor.setFilterChainBuilder(chain);
      XmppIoHandlerAdapter handler = new XmppIoHandlerAdapter();
      handler.setServerRuntimeContext(context);
      acceptor.setHandler(handler);
      acceptor.setReuseAddress(true);
      acceptor.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      port = acceptor.getLocalAddress().getPort();
    }

    @Override
    public void stop() {
      if (acceptor != null) {
        acceptor.unbind();
        acceptor.dispose();
      }
    }
  }
}
