package org.cernvm.copilot.keymanager;

import java.io.IOException;
import java.io.StringReader;
import java.security.cert.X509Certificate;
import java.time.Clock;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Enrolled;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.Incoming;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key manager on the bus: it answers {@code enroll} with {@code enrolled} — a certificate in the role
 * the one-time token was made for — and refuses anything else. The name enrolled must be the sender's
 * account, so a token cannot buy a certificate for somebody else's name. Tokens are never logged.
 */
public final class KeyManagerService {
  private static final Logger log = LoggerFactory.getLogger(KeyManagerService.class);

  private final KeyManager keyManager;
  private final Bus bus;
  private final Clock clock;

  private KeyManagerService(KeyManager keyManager, Bus bus, Clock clock) {
    this.keyManager = keyManager;
    this.bus = bus;
    this.clock = clock;
  }

  /** Starts answering enrollment requests on {@code bus}. */
  public static KeyManagerService start(KeyManager keyManager, Bus bus, Clock clock) {
    KeyManagerService s = new KeyManagerService(keyManager, bus, clock);
    bus.subscribe(s::onMessage);
    log.info("key manager {} answering enrollment requests", bus.self());
    return s;
  }

  private void onMessage(Incoming in) {
    Message m = in.message();
    Reply reply =
        switch (m.verb()) {
          case ENROLL -> enroll(in, (Enroll) m);
          case WANT_GET_JOB, GET_JOB, HEARTBEAT, JOB_DONE, REGISTER_OUTPUTS, WANT_STORE_JOB_OUTPUT_DIR, KILL, DRAIN ->
              error(m, ErrorCode.UNSUPPORTED, m.verb() + " does not go to the key manager");
          case HAVE_GET_JOB, RUN_JOB, STORE_JOB_OUTPUT_DIR, ENROLLED, ACK, ERROR -> null;
        };
    if (reply != null) {
      try {
        bus.send(in.from(), reply);
      } catch (BusException e) {
        log.warn("could not answer {} with {}: {}", in.from(), reply.verb(), e.getMessage());
      }
    }
  }

  private Reply enroll(Incoming in, Enroll e) {
    if (!in.from().local().equals(e.name())) {
      return refuse(e, ErrorCode.FORBIDDEN, "sender " + in.from().bare() + " may not enroll as " + e.name());
    }
    PKCS10CertificationRequest csr;
    try (PEMParser p = new PEMParser(new StringReader(e.csr()))) {
      if (!(p.readObject() instanceof PKCS10CertificationRequest request)) {
        return refuse(e, ErrorCode.INVALID_FIELD, "csr is not a PEM certificate request");
      }
      csr = request;
    } catch (IOException ex) {
      return refuse(e, ErrorCode.INVALID_FIELD, "csr cannot be read: " + ex.getMessage());
    }
    try {
      X509Certificate cert = keyManager.enroll(e.token(), csr, e.name());
      log.info("enrolled {} as {} (serial {})", e.name(), CertificateAuthority.roleOf(cert),
          cert.getSerialNumber().toString(16));
      return new Enrolled(MessageIds.next(), clock.instant(), e.id(), Pem.of(cert), Pem.of(keyManager.ca().certificate()));
    } catch (EnrollmentException ex) {
      return refuse(e, ErrorCode.FORBIDDEN, ex.getMessage());
    } catch (IOException ex) {
      log.warn("enrollment of {} failed: {}", e.name(), ex.toString());
      return error(e, ErrorCode.INTERNAL, "the key manager could not record the enrollment");
    }
  }

  private ErrorReply refuse(Message request, ErrorCode code, String why) {
    log.warn("refused {} {}: {}", request.verb(), request.id(), why);
    return error(request, code, why);
  }

  private ErrorReply error(Message request, ErrorCode code, String text) {
    return new ErrorReply(MessageIds.next(), clock.instant(), request.id(), code, code.retryable(), text);
  }
}
