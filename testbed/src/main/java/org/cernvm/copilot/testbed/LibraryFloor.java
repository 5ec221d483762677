package org.cernvm.copilot.testbed;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.WantGetJob;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;

/**
 * A JVM that only sets up the libraries every agent needs, and no agent: the floor under the agent's
 * idle memory. {@link Footprint#floor} starts it through the agent's launcher with the first
 * {@code n} of {@link #STEPS}; it sets them up as the agent does, collects its garbage, prints
 * {@code ready} and waits for its standard input to close.
 */
final class LibraryFloor {
  /** What is set up, in order: each step adds one library to those before it. */
  static final List<String> STEPS = List.of("JVM", "TLS", "Bouncy Castle", "Jackson", "Smack");

  private LibraryFloor() {}

  /** {@code args[0]}: how many of {@link #STEPS} to set up. */
  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    if (n > 1) {
      // A TLS client with its own trust, as the agent's XMPP connection, up to its first handshake message.
      KeyStore none = KeyStore.getInstance("PKCS12");
      none.load(null, null);
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(none);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, trust.getTrustManagers(), null);
      SSLEngine engine = tls.createSSLEngine("xmpp.example.org", 5222);
      engine.setUseClientMode(true);
      engine.beginHandshake();
      engine.wrap(ByteBuffer.allocate(0), ByteBuffer.allocate(engine.getSession().getPacketBufferSize()));
    }
    if (n > 2) {
      // The agent's key pair and one ECDSA signature, with Bouncy Castle's provider.
      BouncyCastleProvider bc = new BouncyCastleProvider();
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", bc);
      g.initialize(256);
      KeyPair keys = g.generateKeyPair();
      Signature s = Signature.getInstance("SHA256withECDSA", bc);
      s.initSign(keys.getPrivate());
      s.update("copilot".getBytes(StandardCharsets.UTF_8));
      s.sign();
    }
    if (n > 3) {
      // One message of the protocol, encoded and decoded.
      MessageCodec codec = new MessageCodec();
      codec.decode(codec.encode(new WantGetJob("m1", Instant.now(), "agent-1",
          new Resources(1, 2048, 10_000, Duration.ofHours(24), "amd64-linux", List.of()))));
    }
    if (n > 4) {
      // Smack, set up for a connection (not connected), without the parts that the agent artifact leaves out.
      XmppBus.withoutUnusedSmackParts();
      new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder().setXmppDomain("copilot.local")
          .setHostAddress(InetAddress.getLoopbackAddress()).setPort(5222).build());
    }
    System.gc();
    System.out.println("ready");
    System.out.flush();
    System.in.read();
  }
}
