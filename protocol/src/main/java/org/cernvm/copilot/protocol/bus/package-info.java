/** The {@link org.cernvm.copilot.protocol.bus.Bus} transport: over XMPP with Smack, or in memory for tests. */
package org.cernvm.copilot.protocol.bus;
