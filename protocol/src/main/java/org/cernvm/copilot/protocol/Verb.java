package org.cernvm.copilot.protocol;

/**
 * The CoPilot verbs, with their names on the wire. Receivers dispatch with an exhaustive {@code switch}
 * over {@link Message#verb()}, so that a new verb fails to compile until every receiver handles it.
 */
public enum Verb {
  WANT_GET_JOB("want_getJob", WantGetJob.class),
  HAVE_GET_JOB("have_getJob", HaveGetJob.class),
  GET_JOB("getJob", GetJob.class),
  RUN_JOB("runJob", RunJob.class),
  HEARTBEAT("heartbeat", Heartbeat.class),
  WANT_STORE_JOB_OUTPUT_DIR("want_storeJobOutputDir", WantStoreJobOutputDir.class),
  STORE_JOB_OUTPUT_DIR("storeJobOutputDir", StoreJobOutputDir.class),
  JOB_DONE("jobDone", JobDone.class),
  REGISTER_OUTPUTS("registerOutputs", RegisterOutputs.class),
  ACK("ack", Ack.class),
  ERROR("error", ErrorReply.class),
  ENROLL("enroll", Enroll.class),
  ENROLLED("enrolled", Enrolled.class),
  KILL("kill", Kill.class),
  DRAIN("drain", Drain.class),
  RENEW("renew", Renew.class),
  FETCH_CRL("fetchCrl", FetchCrl.class),
  CRL("crl", Crl.class);

  private final String wireName;
  private final Class<? extends Message> type;

  Verb(String wireName, Class<? extends Message> type) {
    this.wireName = wireName;
    this.type = type;
  }

  /** The verb's name in the {@code verb} property. */
  public String wireName() {
    return wireName;
  }

  /** The record that carries it. */
  public Class<? extends Message> type() {
    return type;
  }

  /** Whether messages of this verb answer a request. */
  public boolean isReply() {
    return Reply.class.isAssignableFrom(type);
  }

  /** The verb with wire name {@code name}, if there is one. */
  public static java.util.Optional<Verb> named(String name) {
    for (Verb v : values()) {
      if (v.wireName.equals(name)) {
        return java.util.Optional.of(v);
      }
    }
    return java.util.Optional.empty();
  }

  /** The verb of a message record class. */
  static Verb of(Class<?> type) {
    for (Verb v : values()) {
      if (v.type == type) {
        return v;
      }
    }
    throw new IllegalArgumentException("not a message record: " + type);
  }

  @Override
  public String toString() {
    return wireName;
  }
}
