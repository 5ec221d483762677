package org.cernvm.copilot.testbed.it;

/** {@link AlienOverXmpp} against the ejabberd of {@code scripts/ejabberd-up}. */
class AlienOverEjabberdIT extends AlienOverXmpp {
  AlienOverEjabberdIT() {
    super(new Ejabberd());
  }
}
