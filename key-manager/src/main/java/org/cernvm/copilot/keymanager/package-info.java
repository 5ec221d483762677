/**
 * The key manager: the certificate authority behind every CoPilot channel. It is built by issue 6;
 * until then CoPilot components authenticate only with their XMPP accounts.
 */
package org.cernvm.copilot.keymanager;
