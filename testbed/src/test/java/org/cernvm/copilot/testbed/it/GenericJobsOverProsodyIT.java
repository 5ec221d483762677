package org.cernvm.copilot.testbed.it;

/** {@link GenericJobsOverXmpp} against the Prosody of {@code scripts/prosody-up}. */
class GenericJobsOverProsodyIT extends GenericJobsOverXmpp {
  GenericJobsOverProsodyIT() {
    super(new Prosody());
  }
}
