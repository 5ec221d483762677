package org.cernvm.copilot.testbed.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.cernvm.copilot.protocol.bus.XmppSettings;

/**
 * A real XMPP server the integration tests run against, started by its script under {@code scripts/} (which
 * {@code ./copilot test} and {@code .ci/run} run) on 127.0.0.1 for the domain {@link #DOMAIN}, TLS required
 * with a certificate from a key manager whose CA, and its passphrase, the script leaves in {@link #dir()}.
 * Accounts are registered in-band under a prefix unique to each instance, so tests never see each other's
 * messages.
 */
abstract sealed class XmppServer permits Prosody, Ejabberd, EjabberdCluster {
  /** The XMPP domain every script serves. */
  static final String DOMAIN = "copilot.local";

  private final String name;
  private final int port;
  private final Path dir;
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";

  /**
   * The server {@code name} that {@code scripts/<script>} started on {@code port}, its files in {@code dir}.
   *
   * @throws IllegalStateException if nothing listens there, or the key manager's CA is missing
   */
  XmppServer(String name, String script, int port, Path dir) {
    this.name = name;
    this.port = port;
    this.dir = dir;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    } catch (IOException e) {
      throw new IllegalStateException("no XMPP server on 127.0.0.1:" + port + ": start " + name + " with scripts/"
          + script + " (./copilot test does)", e);
    }
    if (!Files.exists(caPem())) {
      throw new IllegalStateException("no key-manager CA in " + dir + ": start " + name + " with scripts/" + script);
    }
  }

  /** {@code $TMPDIR/<name>}, where the scripts keep a server's files unless told otherwise. */
  static Path inTmp(String name) {
    return Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp"), name);
  }

  /** The port it listens on, on 127.0.0.1. */
  int port() {
    return port;
  }

  /** The directory of its configuration, logs and key manager. */
  Path dir() {
    return dir;
  }

  /** The key manager's CA directory. */
  Path caDir() {
    return dir.resolve("ca");
  }

  /** The CA certificate, which issued the server's certificate. */
  Path caPem() {
    return caDir().resolve("ca.pem");
  }

  /** The CA key's passphrase. */
  char[] passphrase() throws IOException {
    return Files.readString(dir.resolve("ca.passphrase")).trim().toCharArray();
  }

  /** An account name unique to this instance. */
  String user(String name) {
    return prefix + name;
  }

  /** The bare address of the account {@link #user}{@code (name)}. */
  String address(String name) {
    return user(name) + "@" + DOMAIN;
  }

  /** TLS required, trusting only the key manager's CA; the account is registered in-band. */
  XmppSettings settings(String name, String resource) {
    return new XmppSettings("127.0.0.1", port, DOMAIN, user(name), "pw-" + name, resource,
        XmppSettings.Security.REQUIRED, caPem(), List.of(), true, Duration.ofSeconds(10), Duration.ofMillis(200),
        Duration.ofSeconds(2));
  }

  @Override
  public String toString() {
    return name + " on 127.0.0.1:" + port;
  }
}
