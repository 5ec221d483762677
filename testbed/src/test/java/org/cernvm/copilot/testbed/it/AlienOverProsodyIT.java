package org.cernvm.copilot.testbed.it;

/** {@link AlienOverXmpp} against the Prosody of {@code scripts/prosody-up}. */
class AlienOverProsodyIT extends AlienOverXmpp {
  AlienOverProsodyIT() {
    super(new Prosody());
  }
}
