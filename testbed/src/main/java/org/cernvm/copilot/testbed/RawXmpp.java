package org.cernvm.copilot.testbed;

import java.net.InetAddress;
import java.util.function.Consumer;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.tls.Trust;
import org.jivesoftware.smack.ConnectionConfiguration;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;

/**
 * A plain Smack connection with none of CoPilot's bus on top: for the attacker, which sends bytes of its
 * choosing, and for measuring the raw message rate of a server.
 */
final class RawXmpp {
  private RawXmpp() {}

  /**
   * Logs in with {@code s} (TLS required, trusting {@code s.trustCertificate()}); message bodies go to
   * {@code bodies}. A failed login is tried again, up to five times: the embedded server garbles logins that
   * overlap with another's.
   */
  static XMPPTCPConnection connect(XmppSettings s, Consumer<String> bodies) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return connectOnce(s, bodies);
      } catch (Exception e) {
        if (attempt == 5) {
          throw e;
        }
        Thread.sleep(200L * attempt);
      }
    }
  }

  private static XMPPTCPConnection connectOnce(XmppSettings s, Consumer<String> bodies) throws Exception {
    var builder = XMPPTCPConnectionConfiguration.builder()
        .setXmppDomain(s.domain())
        .setHostAddress(InetAddress.getByName(s.host()))
        .setPort(s.port())
        .setUsernameAndPassword(s.username(), s.password())
        .setResource(s.resource())
        .setSecurityMode(ConnectionConfiguration.SecurityMode.required)
        .setCustomX509TrustManager(Trust.of(s.trustCertificate()));
    if (!s.tlsProtocols().isEmpty()) {
      builder.setEnabledSSLProtocols(s.tlsProtocols().toArray(String[]::new));
    }
    XMPPTCPConnection c = new XMPPTCPConnection(builder.build());
    c.setUseStreamManagement(false);
    c.addSyncStanzaListener(stanza -> {
      String body = ((Message) stanza).getBody();
      if (body != null) {
        bodies.accept(body);
      }
    }, StanzaTypeFilter.MESSAGE);
    try {
      c.connect();
    } catch (Exception e) {
      c.instantShutdown();
      throw e;
    }
    if (s.register()) {
      var accounts = org.jivesoftware.smackx.iqregister.AccountManager.getInstance(c);
      try {
        accounts.createAccount(org.jxmpp.jid.parts.Localpart.from(s.username()), s.password());
      } catch (org.jivesoftware.smack.XMPPException.XMPPErrorException e) {
        // The account exists already.
      }
    }
    try {
      c.login();
    } catch (Exception e) {
      c.instantShutdown();
      throw e;
    }
    return c;
  }
}
