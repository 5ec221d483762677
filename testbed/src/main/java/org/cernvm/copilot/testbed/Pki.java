package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.cernvm.copilot.keymanager.CertificateAuthority;
import org.cernvm.copilot.keymanager.EnrollmentTokens;
import org.cernvm.copilot.keymanager.KeyManager;
import org.cernvm.copilot.keymanager.KeyManagerService;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import org.cernvm.copilot.testkit.xmpp.XmppAccounts;

/**
 * The demo's key manager: a fresh CA whose passphrase lives only in this process's memory, one-time
 * enrollment tokens, and the key-manager service on the embedded XMPP server, which every other
 * component of the demo enrolls with.
 */
final class Pki {
  static final Duration WINDOW = Duration.ofMinutes(2);
  // Short, so that a revocation reaches every component within seconds during the demo.
  static final Duration DEMO_CRL_REFRESH = Duration.ofSeconds(1);

  final Path dir;
  final CertificateAuthority ca;
  final EnrollmentTokens tokens;
  final KeyManager keyManager;
  final Services services;
  /** The key manager's XMPP account. */
  final String account;
  /** How often components fetch the revocation list. */
  final Duration crlRefresh;
  private final char[] passphrase;
  private final List<String> secrets = new java.util.concurrent.CopyOnWriteArrayList<>();

  private Pki(Path dir, char[] passphrase, CertificateAuthority ca, Services services, String account,
      Duration crlRefresh) {
    this.dir = dir;
    this.account = account;
    this.crlRefresh = crlRefresh;
    this.passphrase = passphrase;
    secrets.add(new String(passphrase));
    this.ca = ca;
    this.services = services;
    this.tokens = new EnrollmentTokens(dir, services.scheduler.clock());
    this.keyManager = new KeyManager(ca, tokens, services.scheduler.clock(), Duration.ofHours(24));
  }

  /**
   * The demo's: a CA in {@code dir}, whose key manager logs in as {@code keymanager}; components fetch the
   * revocation list every second, so that the attacker's revoked certificate is refused within seconds.
   */
  static Pki create(Path dir, Services services) throws IOException {
    return create(dir, services, "keymanager", DEMO_CRL_REFRESH);
  }

  /**
   * Creates a CA in {@code dir} whose key manager logs in as {@code account}: on a server that keeps its
   * accounts, such as Prosody, each run needs its own, since each makes a new password.
   */
  static Pki create(Path dir, Services services, String account, Duration crlRefresh) throws IOException {
    char[] passphrase = password().toCharArray();
    return new Pki(dir, passphrase, CertificateAuthority.create(dir, passphrase, services.scheduler.clock()), services,
        account, crlRefresh);
  }

  /** The key manager's bare address on {@code domain}. */
  Address address(String domain) {
    return Address.of(account + "@" + domain);
  }

  /** Reopens the CA with another clock, e.g. one in the past to issue a certificate that has expired. */
  CertificateAuthority reopen(java.time.Clock clock) throws IOException {
    return CertificateAuthority.open(dir, passphrase, clock);
  }

  /** Starts the key-manager service on {@code server}; what it opens is pushed on {@code stack}. */
  void serve(XmppAccounts server, List<AutoCloseable> stack) throws Exception {
    String pw = remember(password());
    XmppBus bus = Bus.xmpp(server.account(account, pw, "km-1"), keyManager.security(account, WINDOW),
        services.scheduler, services.workers);
    stack.add(bus);
    bus.awaitConnected(Duration.ofSeconds(30));
    stack.add(KeyManagerService.start(keyManager, bus, services.scheduler));
  }

  /**
   * Creates the account {@code user}, a one-time token for {@code role}, and a bus that has enrolled with
   * it; the bus is pushed on {@code stack}.
   */
  XmppBus join(XmppAccounts server, String user, String resource, Role role, List<AutoCloseable> stack)
      throws Exception {
    return join(server, user, remember(password()), resource, role, stack);
  }

  /** {@link #join(XmppAccounts, String, String, Role, List)} with the account's password given. */
  XmppBus join(XmppAccounts server, String user, String pw, String resource, Role role,
      List<AutoCloseable> stack) throws Exception {
    EnrolledBus enrolled = EnrolledBus.connect(server.account(user, pw, resource),
        settings(server.domain(), token(role)), services.scheduler, services.workers, Duration.ofSeconds(30));
    stack.add(enrolled);
    return enrolled.bus();
  }

  /** A one-time token for {@code role}, valid for ten minutes. */
  String token(Role role) throws IOException {
    return remember(tokens.create(role, 1, Duration.ofMinutes(10)).get(0));
  }

  /** Notes a secret the demo made, so that tests can look for it where it must not be. */
  String remember(String secret) {
    secrets.add(secret);
    return secret;
  }

  /** Every passphrase and token the demo made. */
  List<String> secrets() {
    return List.copyOf(secrets);
  }

  /** The security settings of a component enrolling with {@code token}. */
  SecuritySettings settings(String domain, String token) {
    return new SecuritySettings(dir.resolve("ca.pem"), null, token, address(domain), WINDOW,
        Duration.ofSeconds(10), crlRefresh);
  }

  /** A random password or passphrase. */
  static String password() {
    return HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
  }
}
