package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * A CoPilot protocol message: one record per verb, named on the wire by its {@code verb} property.
 *
 * <p>Every message carries a unique {@link #id()} and the instant it was sent; replies name the
 * request they answer in {@link Reply#replyTo()}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "verb")
@JsonSubTypes({
  @JsonSubTypes.Type(value = WantGetJob.class, name = "want_getJob"),
  @JsonSubTypes.Type(value = HaveGetJob.class, name = "have_getJob"),
  @JsonSubTypes.Type(value = GetJob.class, name = "getJob"),
  @JsonSubTypes.Type(value = RunJob.class, name = "runJob"),
  @JsonSubTypes.Type(value = Heartbeat.class, name = "heartbeat"),
  @JsonSubTypes.Type(value = WantStoreJobOutputDir.class, name = "want_storeJobOutputDir"),
  @JsonSubTypes.Type(value = StoreJobOutputDir.class, name = "storeJobOutputDir"),
  @JsonSubTypes.Type(value = JobDone.class, name = "jobDone"),
  @JsonSubTypes.Type(value = RegisterOutputs.class, name = "registerOutputs"),
  @JsonSubTypes.Type(value = Ack.class, name = "ack"),
  @JsonSubTypes.Type(value = ErrorReply.class, name = "error"),
  @JsonSubTypes.Type(value = Enroll.class, name = "enroll"),
  @JsonSubTypes.Type(value = Enrolled.class, name = "enrolled"),
  @JsonSubTypes.Type(value = Kill.class, name = "kill"),
  @JsonSubTypes.Type(value = Drain.class, name = "drain"),
  @JsonSubTypes.Type(value = Renew.class, name = "renew"),
  @JsonSubTypes.Type(value = FetchCrl.class, name = "fetchCrl"),
  @JsonSubTypes.Type(value = Crl.class, name = "crl"),
})
public sealed interface Message permits Request, Reply {
  /** Unique id of this message; replies quote it. */
  String id();

  /** When the sender created the message. */
  Instant sentAt();

  /** This message's verb. */
  default Verb verb() {
    return Verb.of(getClass());
  }
}
