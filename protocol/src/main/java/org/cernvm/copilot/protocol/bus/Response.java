package org.cernvm.copilot.protocol.bus;

import org.cernvm.copilot.protocol.Reply;

/**
 * A reply to a request, with the full address of whoever sent it.
 *
 * @param from the replier's full address
 * @param reply the reply
 */
public record Response(Address from, Reply reply) {}
