package org.cernvm.copilot.jobmanager;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.security.SecretKeyFile;

/**
 * Seals and opens sealed job tickets with the key of the job-manager group: AES-256-GCM over the JSON
 * of a {@link TicketedJob}, with the job id, agent and lease as associated data, so that a ticket opens
 * only in a message about that very job, agent and lease. Every replica of a job-manager service holds the
 * same key file ({@code job-manager.ticket-key-file}), as storage adapters share their grant key.
 * Thread-safe.
 */
public final class JobTickets {
  private static final String CIPHER = "AES/GCM/NoPadding";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKey key;
  private final String keyId;
  private final SecureRandom random = new SecureRandom();
  private final ObjectMapper json =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .build();

  private JobTickets(byte[] key) {
    this.key = new SecretKeySpec(Arrays.copyOf(key, SecretKeyFile.KEY_BYTES), "AES");
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(this.key.getEncoded());
      this.keyId = Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 6));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  /**
   * The tickets of the group whose key is in {@code keyFile}, created (mode 600) if absent.
   *
   * @throws org.cernvm.copilot.protocol.config.ConfigException if the file is readable by others or holds
   *     no key
   */
  public static JobTickets load(Path keyFile) throws IOException {
    return new JobTickets(SecretKeyFile.loadOrCreate(keyFile, "job ticket key"));
  }

  /** Seals {@code job} for the group. */
  public JobTicket seal(TicketedJob job) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, nonce, job.job().jobId(), job.agentId(), job.lease());
      byte[] data = c.doFinal(json.writeValueAsBytes(job));
      Base64.Encoder b64 = Base64.getEncoder();
      return new JobTicket(keyId, b64.encodeToString(nonce), b64.encodeToString(data));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot seal the ticket of job " + job.job().jobId() + ": " + e, e);
    }
  }

  /**
   * Opens a ticket quoted in a message about {@code jobId}, sent by {@code agentId} under {@code lease}.
   *
   * @throws TicketRejectedException if it was not sealed by this group for that job, agent and lease
   */
  public TicketedJob open(JobTicket ticket, String jobId, String agentId, LeaseRef lease)
      throws TicketRejectedException {
    if (!ticket.keyId().equals(keyId)) {
      throw new TicketRejectedException("the job ticket of " + jobId + " was sealed with key " + ticket.keyId()
          + ", not this job-manager group's key " + keyId);
    }
    TicketedJob job;
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      Cipher c = cipher(Cipher.DECRYPT_MODE, b64.decode(ticket.nonce()), jobId, agentId, lease);
      job = json.readValue(c.doFinal(b64.decode(ticket.data())), TicketedJob.class);
    } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
      throw new TicketRejectedException("the job ticket does not open for job " + jobId + ", agent " + agentId
          + " and lease " + lease + ": it is for another job, agent or lease, or was altered");
    }
    if (!job.job().jobId().equals(jobId) || !job.agentId().equals(agentId) || !job.lease().equals(lease)) {
      throw new TicketRejectedException("the job ticket is for job " + job.job().jobId() + ", not " + jobId);
    }
    return job;
  }

  private Cipher cipher(int mode, byte[] nonce, String jobId, String agentId, LeaseRef lease)
      throws GeneralSecurityException {
    if (nonce.length != NONCE_BYTES) {
      throw new GeneralSecurityException("a job ticket's nonce has " + NONCE_BYTES + " bytes");
    }
    Cipher c = Cipher.getInstance(CIPHER);
    c.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(("copilot-job-ticket-v1\n" + jobId + "\n" + agentId + "\n" + lease.leaseId() + "\n" + lease.epoch())
        .getBytes(StandardCharsets.UTF_8));
    return c;
  }
}
