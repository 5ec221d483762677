package org.cernvm.copilot.testbed.it;

/** {@link StorageOverXmpp} against the ejabberd of {@code scripts/ejabberd-up}. */
class StorageOverEjabberdIT extends StorageOverXmpp {
  StorageOverEjabberdIT() {
    super(new Ejabberd());
  }
}
