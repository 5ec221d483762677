package org.cernvm.copilot.testbed.it;

/** {@link SecurityOverXmpp} against the Prosody of {@code scripts/prosody-up}. */
class SecurityOverProsodyIT extends SecurityOverXmpp {
  SecurityOverProsodyIT() {
    super(new Prosody());
  }
}
