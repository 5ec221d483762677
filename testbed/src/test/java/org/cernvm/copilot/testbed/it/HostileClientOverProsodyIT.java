package org.cernvm.copilot.testbed.it;

/** {@link HostileClient} against the Prosody of {@code scripts/prosody-up}. */
class HostileClientOverProsodyIT extends HostileClient {
  HostileClientOverProsodyIT() {
    super(new Prosody());
  }
}
