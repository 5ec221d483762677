package org.cernvm.copilot.testbed.it;

/** {@link PrometheusOverXmpp} against the ejabberd of {@code scripts/ejabberd-up}. */
class PrometheusOverEjabberdIT extends PrometheusOverXmpp {
  PrometheusOverEjabberdIT() {
    super(new Ejabberd());
  }
}
