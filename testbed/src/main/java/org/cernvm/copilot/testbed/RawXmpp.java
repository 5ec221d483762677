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

  /** Logs in with {@code s} (TLS required, trusting {@code s.trustCertificate()}); message bodies go to {@code bodies}. */
  static XMPPTCPConnection connect(XmppSettings s, Consumer<String> bodies) throws Exception {
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
    c.connect();
    if (s.register()) {
      var accounts = org.jivesoftware.smackx.iqregister.AccountManager.getInstance(c);
      try {
        accounts.createAccount(org.jxmpp.jid.parts.Localpart.from(s.username()), s.password());
      } catch (org.jivesoftware.smack.XMPPException.XMPPErrorException e) {
        // The account exists already.
      }
    }
    c.login();
    return c;
  }
}
