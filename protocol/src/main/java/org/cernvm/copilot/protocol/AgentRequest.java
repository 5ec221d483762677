package org.cernvm.copilot.protocol;

/** A request from an agent to the job-manager service. */
public sealed interface AgentRequest extends Request permits WantGetJob, GetJob, Heartbeat, JobDone {
  /** The agent's identity (its XMPP user name). */
  String agentId();
}
