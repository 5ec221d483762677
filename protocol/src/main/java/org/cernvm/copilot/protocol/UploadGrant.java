package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * Permission to upload one output file of one job over HTTP(S).
 *
 * @param file the file name
 * @param url where to upload it
 * @param maxBytes the largest body accepted
 * @param expiresAt when the grant stops being accepted
 * @param token the storage adapter's signed token that the upload presents, sealed for the agent
 */
public record UploadGrant(String file, String url, long maxBytes, Instant expiresAt, Sealed token) {
  /** The purpose grant tokens are sealed for. */
  public static final String PURPOSE = "upload-grant";

  public UploadGrant {
    FileNames.check(file, "file");
    Checks.text(url, "url");
    Checks.notNegative(maxBytes, "maxBytes");
    Checks.present(expiresAt, "expiresAt");
    Checks.present(token, "token");
  }
}
