package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON body of every answer of the storage adapter's upload endpoint, success or error.
 *
 * <p>The endpoint, per {@link UploadGrant#url()}: {@code PUT} the file's bytes with the headers
 * {@code Authorization: Bearer <grant token>} and {@value #TICKET_HEADER}{@code : <the job's ticket>}
 * ({@link JobTicket#header()}) to store it; {@code POST} with no body and the same headers to ask again for
 * the job's outputs to be registered once all are stored. Statuses: 201 stored, 200 registered, 400 bad
 * request or truncated body, 401 no grant or no ticket, 403 forged, expired or foreign grant, or a ticket
 * the grant was not issued with,
 * 409 outputs still missing, 413 larger than the grant allows, 422 size or checksum mismatch (upload
 * again), 503 storage or registration unavailable (retry).
 *
 * @param file the file named in the request path
 * @param stored whether the file is now stored and verified
 * @param registered whether every output of the job is now registered upstream
 * @param location where the file is stored, or {@code null} when it is not
 * @param message what happened, for people
 */
public record UploadReceipt(String file, boolean stored, boolean registered, String location, String message) {
  /** The request header that carries the job's sealed ticket, which the grant binds by its digest. */
  public static final String TICKET_HEADER = "CoPilot-Job-Ticket";

  /** The path prefix of upload URLs: {@code /v1/outputs/SOURCE/JOB/EPOCH/FILE}. */
  public static final String PATH_PREFIX = "/v1/outputs/";

  private static final ObjectMapper JSON =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  public UploadReceipt {
    Checks.present(file, "file");
    Checks.present(message, "message");
  }

  /** This receipt as JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode an upload receipt", e);
    }
  }

  /**
   * Reads a receipt.
   *
   * @throws IllegalArgumentException if {@code json} is not one
   */
  public static UploadReceipt fromJson(String json) {
    try {
      return JSON.readValue(json, UploadReceipt.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not an upload receipt: " + e.getOriginalMessage(), e);
    }
  }
}
