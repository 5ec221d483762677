package org.cernvm.copilot.protocol;

/**
 * An operator command: sent by an operator to the job-manager service, and relayed by a job manager
 * to the agent concerned inside the {@link Ack} that answers its heartbeat.
 */
public sealed interface Command extends Request permits Kill, Drain {}
