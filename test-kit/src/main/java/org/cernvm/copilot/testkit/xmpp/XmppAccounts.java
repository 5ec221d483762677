package org.cernvm.copilot.testkit.xmpp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cernvm.copilot.protocol.bus.XmppSettings;

/** An XMPP server the testbed can make accounts on: the embedded one, or a Prosody with in-band registration. */
public interface XmppAccounts {
  /** The XMPP domain. */
  String domain();

  /** Creates the account, or arranges for it to be registered at the first login, and returns its settings. */
  XmppSettings account(String user, String password, String resource);

  /**
   * A Prosody (or any server allowing in-band registration) at {@code host:port}, TLS required, presenting
   * a certificate that {@code trust} (a PEM certificate or CA) vouches for.
   */
  static XmppAccounts registering(String host, int port, String domain, Path trust) {
    return new XmppAccounts() {
      @Override
      public String domain() {
        return domain;
      }

      @Override
      public XmppSettings account(String user, String password, String resource) {
        return new XmppSettings(host, port, domain, user, password, resource, XmppSettings.Security.REQUIRED, trust,
            List.of(), true, Duration.ofSeconds(10), Duration.ofMillis(200), Duration.ofSeconds(5));
      }
    };
  }
}
