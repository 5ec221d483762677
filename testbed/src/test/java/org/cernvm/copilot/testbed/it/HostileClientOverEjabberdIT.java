package org.cernvm.copilot.testbed.it;

/** {@link HostileClient} against the ejabberd of {@code scripts/ejabberd-up}, as a second site would run it. */
class HostileClientOverEjabberdIT extends HostileClient {
  HostileClientOverEjabberdIT() {
    super(new Ejabberd());
  }
}
