package org.cernvm.copilot.server;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cernvm.copilot.keymanager.CertificateAuthority;
import org.cernvm.copilot.keymanager.EnrollmentTokens;
import org.cernvm.copilot.keymanager.KeyManager;
import org.cernvm.copilot.keymanager.KeyManagerService;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.metrics.MetricsEndpoint;
import org.cernvm.copilot.metrics.MetricsSettings;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.security.Role;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code copilot key-manager}: the certificate authority's operator commands. */
@Command(name = "key-manager", description = "The key manager: init, token, xmpp-cert, revoke, crl, and serve "
    + "(enrollment, renewal and revocation lists over XMPP).",
    subcommands = {KeyManagerCommand.Init.class, KeyManagerCommand.Token.class, KeyManagerCommand.XmppCert.class,
        KeyManagerCommand.Revoke.class, KeyManagerCommand.Crl.class, KeyManagerCommand.Serve.class})
public final class KeyManagerCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  private static Path dir(Settings s) {
    return s.path("key-manager.dir", Path.of(System.getProperty("user.home"), ".copilot", "ca"));
  }

  /** Opens the CA of {@code key-manager.dir} with {@code key-manager.passphrase}, once no other key is left to read. */
  private static CertificateAuthority openCa(Settings s) throws java.io.IOException {
    Path dir = dir(s);
    char[] passphrase = s.required("key-manager.passphrase").toCharArray();
    s.rejectUnknownKeys();
    return CertificateAuthority.open(dir, passphrase, Clock.systemUTC());
  }

  /** {@code key-manager init}: a new CA. */
  @Command(name = "init", description = "Creates the CA in key-manager.dir, its key encrypted with "
      + "key-manager.passphrase (set COPILOT_KEY_MANAGER_PASSPHRASE); prints the CA certificate.")
  static final class Init implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Override
    public Integer call() throws Exception {
      Settings s = config.settings(Map.of());
      Path dir = dir(s);
      char[] passphrase = s.required("key-manager.passphrase").toCharArray();
      s.rejectUnknownKeys();
      CertificateAuthority ca = CertificateAuthority.create(dir, passphrase, Clock.systemUTC());
      System.out.print(Pem.of(ca.certificate()));
      System.err.println("CA created in " + dir + " (key in ca.key, mode 600; certificate in ca.pem)");
      return 0;
    }
  }

  /** {@code key-manager token}: one-time enrollment tokens. */
  @Command(name = "token", description = "Creates one-time enrollment tokens for a role (for VM "
      + "contextualization); prints one per line. They are stored only hashed.")
  static final class Token implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--role", required = true, description = "agent, job-manager, storage, key-manager or operator")
    String role;

    @Option(names = "--count", defaultValue = "1", description = "how many (default ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--ttl", defaultValue = "1h", converter = Durations.Positive.class, description = "how long they work (default ${DEFAULT-VALUE})")
    Duration ttl;

    @Override
    public Integer call() throws Exception {
      Settings s = config.settings(Map.of());
      Path dir = dir(s);
      s.rejectUnknownKeys();
      new EnrollmentTokens(dir, Clock.systemUTC()).create(Role.of(role), count, ttl)
          .forEach(System.out::println);
      return 0;
    }
  }

  /** {@code key-manager xmpp-cert}: the XMPP server's TLS certificate. */
  @Command(name = "xmpp-cert", description = "Issues the XMPP server's TLS certificate: writes DIR/xmpp.key "
      + "(mode 600) and DIR/xmpp.pem (certificate and CA), e.g. for Prosody's ssl or ejabberd's certfiles.")
  static final class XmppCert implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;

    @Option(names = "--host", split = ",", description = "DNS names and addresses, the XMPP domain first "
        + "(default: xmpp.domain, localhost, 127.0.0.1)")
    List<String> hosts;

    @Option(names = "--validity", defaultValue = "365d", converter = Durations.Positive.class,
        description = "default ${DEFAULT-VALUE}") Duration validity;

    @Override
    public Integer call() throws Exception {
      Settings s = config.settings(Map.of());
      String domain = s.string("xmpp.domain", "copilot.local");
      CertificateAuthority ca = openCa(s);
      List<String> names = hosts != null ? hosts : List.of(domain, "localhost", "127.0.0.1");
      Credentials tls = ca.issueServer(names, validity);
      java.nio.file.Files.createDirectories(out);
      Path key = out.resolve("xmpp.key");
      java.nio.file.Files.deleteIfExists(key);
      java.nio.file.Files.createFile(key, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      java.nio.file.Files.writeString(key, Pem.of(tls.key()));
      java.nio.file.Files.writeString(out.resolve("xmpp.pem"), Pem.of(tls.certificate()) + Pem.of(ca.certificate()));
      System.out.println("XMPP server certificate for " + names + " in " + out.resolve("xmpp.pem") + ", key in " + key);
      return 0;
    }
  }

  /** {@code key-manager revoke}: revokes certificates by serial. */
  @Command(name = "revoke", description = "Revokes certificates by serial number (hex); components drop them at "
      + "their next revocation-list refresh (security.crl-refresh).")
  static final class Revoke implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @picocli.CommandLine.Parameters(paramLabel = "SERIAL", arity = "1..*") List<String> serials;

    @Override
    public Integer call() throws Exception {
      CertificateAuthority ca = openCa(config.settings(Map.of()));
      for (String serial : serials) {
        ca.revoke(new java.math.BigInteger(serial, 16));
        System.out.println("revoked " + serial);
      }
      return 0;
    }
  }

  /** {@code key-manager serve}: enrollment over XMPP until stopped. */
  @Command(name = "serve", description = "Answers enroll, renew and fetchCrl over XMPP as key-manager.service "
      + "until stopped (SIGTERM).")
  public static final class Serve implements Callable<Integer> {
    @Mixin ConfigOptions config;

    /** The key manager's settings, read and checked; nothing opened or connected yet. */
    public record Configured(Path dir, char[] passphrase, Duration validity, XmppSettings xmpp, Duration window,
        MetricsSettings metrics) {}

    /**
     * Reads and checks every setting the key manager takes from {@code s}.
     *
     * @throws org.cernvm.copilot.protocol.config.ConfigException naming the first setting that is wrong or unknown
     */
    public static Configured configure(Settings s) {
      Path dir = dir(s);
      char[] passphrase = s.required("key-manager.passphrase").toCharArray();
      String service = s.string("key-manager.service", "keymanager@" + s.string("xmpp.domain", "copilot.local"));
      Duration validity = s.duration("key-manager.validity", Duration.ofHours(24));
      XmppSettings xmpp = XmppSettings.from(s, Address.of(service).local(), "km-" + ProcessHandle.current().pid())
          .trustingIfUnset(dir.resolve("ca.pem"));
      Duration window = s.duration("security.window", Duration.ofMinutes(2));
      MetricsSettings metrics = MetricsSettings.from(s);
      s.rejectUnknownKeys();
      return new Configured(dir, passphrase, validity, xmpp, window, metrics);
    }

    @Override
    public Integer call() throws Exception {
      Configured c = configure(config.settings(Map.of()));
      Path dir = c.dir();
      XmppSettings xmpp = c.xmpp();
      PrometheusRegistry registry = new PrometheusRegistry();
      try (Services services = new Services("km", 2);
          MetricsEndpoint endpoint = MetricsEndpoint.start(c.metrics(), registry, "key manager")) {
        CertificateAuthority ca = CertificateAuthority.open(dir, c.passphrase(), services.scheduler.clock());
        KeyManager km = new KeyManager(ca, new EnrollmentTokens(dir, services.scheduler.clock()),
            services.scheduler.clock(), c.validity());
        try (XmppBus bus = Bus.xmpp(xmpp, km.security(xmpp.username(), c.window()), services.scheduler,
            services.workers);
            KeyManagerService answering = KeyManagerService.start(km, bus, services.scheduler, registry)) {
          bus.awaitConnected(xmpp.replyTimeout().multipliedBy(3));
          System.out.println("key manager " + bus.self() + " serving enrollment for the CA in " + dir
              + endpoint.describe());
          CountDownLatch stopped = new CountDownLatch(1);
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bus.close();
            stopped.countDown();
          }, "km-shutdown"));
          stopped.await();
        }
      }
      return 0;
    }
  }

  /** {@code key-manager crl}: the revocation list. */
  @Command(name = "crl", description = "Prints the CA's current certificate revocation list (PEM).")
  static final class Crl implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Override
    public Integer call() throws Exception {
      System.out.print(Pem.of(openCa(config.settings(Map.of())).crl()));
      return 0;
    }
  }
}
