package org.cernvm.copilot.protocol;

/** A request to the key manager: a first certificate, a renewed one, or the revocation list. */
public sealed interface KeyManagerRequest extends Request permits Enroll, Renew, FetchCrl {}
