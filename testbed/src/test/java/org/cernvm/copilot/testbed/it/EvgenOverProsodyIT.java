package org.cernvm.copilot.testbed.it;

/** {@link EvgenOverXmpp} against the Prosody of {@code scripts/prosody-up}. */
class EvgenOverProsodyIT extends EvgenOverXmpp {
  EvgenOverProsodyIT() {
    super(new Prosody());
  }
}
