package org.cernvm.copilot.testbed;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.testkit.xmpp.XmppAccounts;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;

/**
 * The raw message-rate ceiling of an XMPP server: one plain client sends 300-byte messages to another as
 * fast as it can, with none of CoPilot on either side, and the rate at which they arrive is measured, and
 * the machine's CPU that each cost.
 */
final class RawCeiling {
  private static final int MESSAGES = 20_000;
  private static final int ROUNDS = 3;

  private RawCeiling() {}

  /**
   * What a round measured.
   *
   * @param messagesPerSecond messages per second, one way
   * @param cpuMsPerMessage the whole machine's busy CPU per message (sender, server and receiver)
   */
  record Ceiling(double messagesPerSecond, double cpuMsPerMessage) {}

  /**
   * Messages per second, one way, through {@code server}, and their CPU: the best of {@link #ROUNDS} rounds, since the
   * first runs while the server's and the clients' code is still being compiled (single cold rounds
   * measured anywhere from 2,200 to 5,500 msg/s on this machine). Accounts are named with {@code prefix}.
   */
  static Ceiling measure(XmppAccounts server, String prefix, PrintStream out) throws Exception {
    AtomicInteger received = new AtomicInteger();
    String password = Pki.password();
    XMPPTCPConnection b = RawXmpp.connect(server.account(prefix + "raw-b", password, "b"),
        body -> received.incrementAndGet());
    XMPPTCPConnection a = RawXmpp.connect(server.account(prefix + "raw-a", password, "a"), body -> { });
    try {
      String body = "x".repeat(300);
      Ceiling best = new Ceiling(0, 0);
      for (int round = 0; round < ROUNDS; round++) {
        received.set(0);
        long cpu0 = LoadRun.machineCpuMillis();
        long t0 = System.nanoTime();
        for (int i = 0; i < MESSAGES; i++) {
          a.sendStanza(StanzaBuilder.buildMessage(MessageIds.next()).to(b.getUser()).ofType(Message.Type.normal)
              .setBody(body).build());
        }
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (received.get() < MESSAGES && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long cpu = LoadRun.machineCpuMillis() - cpu0;
        if (received.get() < MESSAGES) {
          out.printf("load: the raw ceiling run lost %d of %d messages%n", MESSAGES - received.get(), MESSAGES);
        }
        if (received.get() / seconds > best.messagesPerSecond()) {
          best = new Ceiling(received.get() / seconds, cpu / (double) Math.max(1, received.get()));
        }
      }
      return best;
    } finally {
      a.instantShutdown();
      b.instantShutdown();
    }
  }
}
