package org.cernvm.copilot.protocol.security;

import org.cernvm.copilot.protocol.ErrorCode;

/** Why a message, lease ticket or sealed secret was refused by its receiver. */
public enum Rejection {
  /** The message carried no signature and its verb needs one. */
  UNSIGNED(ErrorCode.UNAUTHENTICATED),
  /** The signature or MAC does not verify against the certificate presented. */
  BAD_SIGNATURE(ErrorCode.UNAUTHENTICATED),
  /**
   * The message is authenticated with a pairwise key of a certificate the receiver does not know or no
   * longer holds; the sender should sign it.
   */
  UNKNOWN_KEY(ErrorCode.SIGN_AGAIN),
  /** The certificate was not issued by the key manager's CA. */
  UNTRUSTED_CERTIFICATE(ErrorCode.UNAUTHENTICATED),
  /** The certificate is expired or not yet valid. */
  EXPIRED_CERTIFICATE(ErrorCode.UNAUTHENTICATED),
  /** The certificate is on the CA's revocation list. */
  REVOKED_CERTIFICATE(ErrorCode.UNAUTHENTICATED),
  /** The certificate's name is not the XMPP account that sent the message. */
  WRONG_SENDER(ErrorCode.UNAUTHENTICATED),
  /** The message was signed for another recipient. */
  WRONG_RECIPIENT(ErrorCode.UNAUTHENTICATED),
  /** The sender's role may not send this verb. */
  WRONG_ROLE(ErrorCode.FORBIDDEN),
  /** The message was sent too long ago, or claims to come from the future. */
  STALE(ErrorCode.REPLAYED),
  /**
   * The message was sent before the receiver started: it may have been accepted by the process before,
   * whose memory of ids is gone. A fresh message, with a new id and send time, is accepted.
   */
  SENT_BEFORE_START(ErrorCode.STALE),
  /** The envelope cannot be read as one: its header is too long or not JSON. */
  MALFORMED_ENVELOPE(ErrorCode.MALFORMED),
  /** A message with this id was accepted before. */
  REPLAYED(ErrorCode.REPLAYED),
  /** A sealed secret or lease ticket does not open or verify. */
  BAD_SEAL(ErrorCode.UNAUTHENTICATED);

  private final ErrorCode code;

  Rejection(ErrorCode code) {
    this.code = code;
  }

  /** The error code a rejected request is answered with. */
  public ErrorCode code() {
    return code;
  }
}
