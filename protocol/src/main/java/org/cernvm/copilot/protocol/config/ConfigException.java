package org.cernvm.copilot.protocol.config;

/** A configuration value is missing, malformed or out of range; the message names the key and its source. */
public final class ConfigException extends IllegalArgumentException {
  /** Creates the exception. */
  public ConfigException(String message) {
    super(message);
  }
}
