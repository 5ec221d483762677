/**
 * The key manager: the certificate authority behind every CoPilot channel, its one-time enrollment tokens,
 * and its service on the bus (enrollment, renewal, revocation lists). The form of certificates and the
 * checks every receiver makes are in {@link org.cernvm.copilot.protocol.security}.
 */
package org.cernvm.copilot.keymanager;
