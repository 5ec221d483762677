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
 * The Prosody server the integration tests use: {@code scripts/prosody-up} (run by {@code ./copilot test}
 * and {@code .ci/run}) starts it on 127.0.0.1:15222 for the domain {@code copilot.local}, TLS required
 * with a certificate from a key manager whose CA, and its passphrase, it leaves in {@link #DIR};
 * {@code COPILOT_TEST_XMPP_PORT} and {@code COPILOT_PROSODY_DIR} point elsewhere. Accounts are
 * registered in-band under a prefix unique to each test, so tests never see each other's messages.
 */
final class Prosody {
  static final String DOMAIN = "copilot.local";
  static final int PORT = Integer.parseInt(System.getenv().getOrDefault("COPILOT_TEST_XMPP_PORT", "15222"));
  static final Path DIR = Path.of(System.getenv().getOrDefault("COPILOT_PROSODY_DIR",
      System.getenv().getOrDefault("TMPDIR", "/tmp") + "/copilot-prosody-" + PORT));

  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";

  Prosody() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", PORT), 2000);
    } catch (IOException e) {
      throw new IllegalStateException("no XMPP server on 127.0.0.1:" + PORT
          + ": start Prosody with scripts/prosody-up (./copilot test does)", e);
    }
    if (!Files.exists(caPem())) {
      throw new IllegalStateException("no key-manager CA in " + DIR + ": start Prosody with scripts/prosody-up");
    }
  }

  /** The key manager's CA directory. */
  static Path caDir() {
    return DIR.resolve("ca");
  }

  /** The CA certificate, which issued the server's certificate. */
  static Path caPem() {
    return caDir().resolve("ca.pem");
  }

  /** The CA key's passphrase. */
  static char[] passphrase() throws IOException {
    return Files.readString(DIR.resolve("ca.passphrase")).trim().toCharArray();
  }

  /** An account name unique to this test. */
  String user(String name) {
    return prefix + name;
  }

  /** TLS required, trusting only the key manager's CA; the account is registered in-band. */
  XmppSettings settings(String name, String resource) {
    return new XmppSettings("127.0.0.1", PORT, DOMAIN, user(name), "pw-" + name, resource,
        XmppSettings.Security.REQUIRED, caPem(), List.of(), true, Duration.ofSeconds(10), Duration.ofMillis(200),
        Duration.ofSeconds(2));
  }
}
