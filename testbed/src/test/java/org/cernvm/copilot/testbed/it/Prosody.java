package org.cernvm.copilot.testbed.it;

import java.nio.file.Path;

/**
 * The Prosody that {@code scripts/prosody-up} starts, on port 15222 unless {@code COPILOT_TEST_XMPP_PORT}
 * says otherwise, its files in {@code COPILOT_PROSODY_DIR} or {@code $TMPDIR/copilot-prosody-PORT}.
 */
final class Prosody extends XmppServer {
  private static final int PORT = Integer.parseInt(System.getenv().getOrDefault("COPILOT_TEST_XMPP_PORT", "15222"));

  Prosody() {
    super("Prosody", "prosody-up", PORT, System.getenv().containsKey("COPILOT_PROSODY_DIR")
        ? Path.of(System.getenv("COPILOT_PROSODY_DIR")) : inTmp("copilot-prosody-" + PORT));
  }
}
