package org.cernvm.copilot.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * A sealed job ticket: the state of a leased job that only job managers need (the job itself, the
 * upstream credentials and identifiers: a PanDA job's fields, an AliEn job token), encrypted with
 * AES-256-GCM under the key of the job-manager group and bound to one job, agent and lease. The agent
 * carries it in every update of the job and the storage adapter in {@code registerOutputs}, so that any
 * job-manager replica can continue a job another one started; neither can read or alter it. Uploads carry
 * it once each, in the header {@link UploadReceipt#TICKET_HEADER} ({@link #header()}), and the upload grants
 * only its {@link #digest()}: a ticket grows with its job, and a grant per output file each holding the
 * whole ticket would multiply it.
 *
 * @param keyId which group key sealed it (a short fingerprint of the key)
 * @param nonce the 12-byte GCM nonce, base64
 * @param data the ciphertext with its tag, base64
 */
public record JobTicket(String keyId, String nonce, String data) {
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/=_-]+");

  public JobTicket {
    Checks.id(keyId, "keyId");
    Checks.text(nonce, "nonce");
    Checks.text(data, "data");
  }

  /** The ticket as one header value: {@code keyId nonce data}, separated by single spaces. */
  public String header() {
    return keyId + " " + nonce + " " + data;
  }

  /**
   * The ticket of a header value {@link #header()} made.
   *
   * @throws IllegalArgumentException naming what is wrong with the value
   */
  public static JobTicket fromHeader(String value) {
    String[] parts = value.strip().split(" ", -1);
    if (parts.length != 3 || !BASE64.matcher(parts[1]).matches() || !BASE64.matcher(parts[2]).matches()) {
      throw new IllegalArgumentException("a job ticket header is 'KEY-ID NONCE DATA', the last two base64");
    }
    return new JobTicket(parts[0], parts[1], parts[2]);
  }

  /** The SHA-256 of {@link #header()}, base64url without padding: what an upload grant binds the ticket by. */
  public String digest() {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(header().getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
