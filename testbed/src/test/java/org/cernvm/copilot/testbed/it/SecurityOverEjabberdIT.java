package org.cernvm.copilot.testbed.it;

/** {@link SecurityOverXmpp} against the ejabberd of {@code scripts/ejabberd-up}. */
class SecurityOverEjabberdIT extends SecurityOverXmpp {
  SecurityOverEjabberdIT() {
    super(new Ejabberd());
  }
}
