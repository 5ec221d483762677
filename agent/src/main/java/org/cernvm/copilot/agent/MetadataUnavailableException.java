package org.cernvm.copilot.agent;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

/** The instance metadata service did not hand out the user-data within {@code context.timeout}. */
public final class MetadataUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  MetadataUnavailableException(URI url, Duration waited, String lastError) {
    super("the user-data at " + url + " was not available after " + waited.toSeconds() + " s: " + lastError);
  }
}
