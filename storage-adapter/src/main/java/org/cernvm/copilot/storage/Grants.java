package org.cernvm.copilot.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.cernvm.copilot.protocol.security.SecretKeyFile;

/**
 * Signs and checks upload grants. A token is {@code base64url(claims JSON) "." base64url(HMAC-SHA256)}
 * under a key that only storage adapters hold, so agents can present a grant but cannot make or alter
 * one. Thread-safe.
 */
final class Grants {
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final Clock clock;
  private final ObjectMapper json =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .build();

  Grants(byte[] key, Clock clock) {
    if (key.length < SecretKeyFile.KEY_BYTES) {
      throw new IllegalArgumentException("a grant key needs at least " + SecretKeyFile.KEY_BYTES + " bytes");
    }
    this.key = new SecretKeySpec(key, ALGORITHM);
    this.clock = clock;
  }

  /**
   * Loads the grant key from {@code file}, creating it with fresh random bytes and mode 600 if it does not
   * exist.
   *
   * @throws org.cernvm.copilot.protocol.config.ConfigException if the file is readable by group or others, or
   *     too short
   */
  static Grants load(Path file, Clock clock) throws IOException {
    return new Grants(SecretKeyFile.loadOrCreate(file, "grant key"), clock);
  }

  /** The signed token for {@code claims}. */
  String sign(GrantClaims claims) {
    byte[] body;
    try {
      body = json.writeValueAsBytes(claims);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode grant claims", e);
    }
    return B64.encodeToString(body) + "." + B64.encodeToString(mac(body));
  }

  /**
   * Checks a token's signature and expiry and returns its claims.
   *
   * @throws GrantException 401 when the token is malformed, 403 when forged or expired
   */
  GrantClaims verify(String token) throws GrantException {
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      throw new GrantException(401, "the upload grant token is malformed");
    }
    byte[] body;
    byte[] signature;
    try {
      body = B64D.decode(token.substring(0, dot));
      signature = B64D.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw new GrantException(401, "the upload grant token is not base64url");
    }
    if (!MessageDigest.isEqual(mac(body), signature)) {
      throw new GrantException(403, "the upload grant's signature is not valid: it was not issued by this storage"
          + " service or has been altered");
    }
    GrantClaims claims;
    try {
      claims = json.readValue(body, GrantClaims.class);
    } catch (IOException e) {
      throw new GrantException(401, "the upload grant's claims cannot be read");
    }
    if (!clock.instant().isBefore(claims.expiresAt())) {
      throw new GrantException(403, "the upload grant for " + claims.file() + " of job " + claims.jobId()
          + " expired at " + claims.expiresAt());
    }
    return claims;
  }

  private byte[] mac(byte[] body) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks " + ALGORITHM, e);
    }
  }
}
