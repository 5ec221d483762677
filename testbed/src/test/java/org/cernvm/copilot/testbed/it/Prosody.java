package org.cernvm.copilot.testbed.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.cernvm.copilot.protocol.bus.XmppSettings;

/**
 * The Prosody server the integration tests use: {@code scripts/prosody-up} (run by {@code ./copilot test}
 * and {@code .ci/run}) starts it on 127.0.0.1:15222 for the domain {@code copilot.local};
 * {@code COPILOT_TEST_XMPP_PORT} points elsewhere. Accounts are registered in-band under a prefix unique
 * to each test, so tests never see each other's messages.
 */
final class Prosody {
  static final String DOMAIN = "copilot.local";
  static final int PORT = Integer.parseInt(System.getenv().getOrDefault("COPILOT_TEST_XMPP_PORT", "15222"));

  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";

  Prosody() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", PORT), 2000);
    } catch (IOException e) {
      throw new IllegalStateException("no XMPP server on 127.0.0.1:" + PORT
          + ": start Prosody with scripts/prosody-up (./copilot test does)", e);
    }
  }

  /** An account name unique to this test. */
  String user(String name) {
    return prefix + name;
  }

  XmppSettings settings(String name, String resource) {
    return new XmppSettings("127.0.0.1", PORT, DOMAIN, user(name), "pw-" + name, resource,
        XmppSettings.Security.IF_POSSIBLE, null, List.of(), true, Duration.ofSeconds(10), Duration.ofMillis(200),
        Duration.ofSeconds(2));
  }
}
