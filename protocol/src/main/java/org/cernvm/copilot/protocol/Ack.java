package org.cernvm.copilot.protocol;

import java.time.Instant;
import java.util.List;

/**
 * {@code ack}: the request was accepted. The ack of a heartbeat may carry commands for the agent.
 *
 * @param id message id
 * @param sentAt send time
 * @param replyTo the request answered
 * @param commands commands for the receiver, usually none
 */
public record Ack(String id, Instant sentAt, String replyTo, List<Command> commands) implements Reply {
  public Ack {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(replyTo, "replyTo");
    commands = Checks.list(commands, "commands");
  }
}
