package org.cernvm.copilot.testbed.it;

/** {@link StorageOverXmpp} against the Prosody of {@code scripts/prosody-up}. */
class StorageOverProsodyIT extends StorageOverXmpp {
  StorageOverProsodyIT() {
    super(new Prosody());
  }
}
