package org.cernvm.copilot.protocol;

/** A message that expects a {@link Reply}: an {@link Ack}, an {@link ErrorReply} or a verb-specific answer. */
public sealed interface Request extends Message permits AgentRequest, StorageRequest, RegisterOutputs, KeyManagerRequest, Command {}
