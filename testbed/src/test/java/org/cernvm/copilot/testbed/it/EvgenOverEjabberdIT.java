package org.cernvm.copilot.testbed.it;

/** {@link EvgenOverXmpp} against the ejabberd of {@code scripts/ejabberd-up}. */
class EvgenOverEjabberdIT extends EvgenOverXmpp {
  EvgenOverEjabberdIT() {
    super(new Ejabberd());
  }
}
