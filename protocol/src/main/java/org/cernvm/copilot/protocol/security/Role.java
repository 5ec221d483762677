package org.cernvm.copilot.protocol.security;

import java.util.Locale;

/** The role a CoPilot certificate grants, named in its role extension. */
public enum Role {
  AGENT,
  JOB_MANAGER,
  STORAGE,
  KEY_MANAGER,
  /** A person at the command line: submits, kills and drains. */
  OPERATOR;

  /** The role's name in certificates and on the command line, e.g. {@code job-manager}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The role named {@code name}.
   *
   * @throws IllegalArgumentException naming the roles there are
   */
  public static Role of(String name) {
    for (Role r : values()) {
      if (r.wireName().equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no role '" + name + "': agent, job-manager, storage, key-manager or operator");
  }
}
