package org.cernvm.copilot.protocol.security;

import java.security.cert.X509Certificate;

/**
 * Who signed a message, as its verified certificate says.
 *
 * @param name the component's name, which is also its XMPP account
 * @param role what it may do
 * @param certificate its certificate, whose public key secrets are sealed for
 */
public record Identity(String name, Role role, X509Certificate certificate) {
  @Override
  public String toString() {
    return name + " (" + role.wireName() + ", serial " + certificate.getSerialNumber().toString(16) + ")";
  }
}
