package org.cernvm.copilot.testbed.it;

/**
 * {@link GenericJobsOverXmpp} against the ejabberd of {@code scripts/ejabberd-up}: its TLS certificate and key
 * from the key manager, which ejabberd accepts only when the key file carries its public key, and the
 * components enrolled with that key manager.
 */
class GenericJobsOverEjabberdIT extends GenericJobsOverXmpp {
  GenericJobsOverEjabberdIT() {
    super(new Ejabberd());
  }
}
