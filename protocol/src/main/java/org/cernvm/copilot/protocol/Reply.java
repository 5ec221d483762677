package org.cernvm.copilot.protocol;

/** A message that answers a {@link Request}. */
public sealed interface Reply extends Message
    permits HaveGetJob, RunJob, StoreJobOutputDir, Enrolled, Crl, Ack, ErrorReply {
  /** The {@link Message#id()} of the request this answers. */
  String replyTo();
}
