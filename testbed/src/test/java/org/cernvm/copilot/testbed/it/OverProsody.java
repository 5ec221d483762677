package org.cernvm.copilot.testbed.it;

/** The integration-test rig ({@link OverXmpp}) on the Prosody of {@code scripts/prosody-up}. */
abstract class OverProsody extends OverXmpp {
  OverProsody() {
    super(new Prosody());
  }
}
