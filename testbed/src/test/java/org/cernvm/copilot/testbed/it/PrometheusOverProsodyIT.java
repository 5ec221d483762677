package org.cernvm.copilot.testbed.it;

/** {@link PrometheusOverXmpp} against the Prosody of {@code scripts/prosody-up}. */
class PrometheusOverProsodyIT extends PrometheusOverXmpp {
  PrometheusOverProsodyIT() {
    super(new Prosody());
  }
}
