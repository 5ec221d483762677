package org.cernvm.copilot.protocol;

/**
 * A secret (an upload grant's token, an enrollment token) encrypted for one recipient: ECIES over P-256
 * with an ephemeral key, HKDF-SHA256 and AES-256-GCM; see
 * {@link org.cernvm.copilot.protocol.security.MessageSecurity#seal}. Only the holder of the recipient's
 * private key can open it, so the secret is safe in logs, XMPP server archives and message dumps.
 *
 * @param key the sender's ephemeral public key, X.509 SubjectPublicKeyInfo, base64
 * @param nonce the 12-byte GCM nonce, base64
 * @param data the ciphertext with its tag, base64
 */
public record Sealed(String key, String nonce, String data) {
  public Sealed {
    Checks.text(key, "key");
    Checks.text(nonce, "nonce");
    Checks.text(data, "data");
  }
}
