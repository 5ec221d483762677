package org.cernvm.copilot.testbed.it;

import java.nio.file.Path;

/**
 * The ejabberd that {@code scripts/ejabberd-up} starts, on port 15223 unless {@code COPILOT_EJABBERD_PORT}
 * says otherwise (the script reads the same variable), its files in {@code COPILOT_EJABBERD_DIR} or
 * {@code $TMPDIR/copilot-ejabberd-PORT}. It refuses stanzas over 262144 bytes, as the script's config says.
 */
final class Ejabberd extends XmppServer {
  private static final int PORT = Integer.parseInt(System.getenv().getOrDefault("COPILOT_EJABBERD_PORT", "15223"));

  Ejabberd() {
    super("ejabberd", "ejabberd-up", PORT, System.getenv().containsKey("COPILOT_EJABBERD_DIR")
        ? Path.of(System.getenv("COPILOT_EJABBERD_DIR")) : inTmp("copilot-ejabberd-" + PORT));
  }
}
