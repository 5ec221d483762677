package org.cernvm.copilot.protocol;

/**
 * A sealed job ticket: the state of a leased job that only job managers need (the job itself, the
 * upstream credentials and identifiers: a PanDA job's fields, an AliEn job token), encrypted with
 * AES-256-GCM under the key of the job-manager group and bound to one job, agent and lease. The agent
 * carries it in every update of the job and the storage adapter in {@code registerOutputs}, so that any
 * job-manager replica can continue a job another one started; neither can read or alter it.
 *
 * @param keyId which group key sealed it (a short fingerprint of the key)
 * @param nonce the 12-byte GCM nonce, base64
 * @param data the ciphertext with its tag, base64
 */
public record JobTicket(String keyId, String nonce, String data) {
  public JobTicket {
    Checks.id(keyId, "keyId");
    Checks.text(nonce, "nonce");
    Checks.text(data, "data");
  }
}
