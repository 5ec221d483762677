package org.cernvm.copilot.keymanager;

import java.io.IOException;
import java.io.StringReader;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.cernvm.copilot.protocol.Crl;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Enrolled;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Renew;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.Incoming;
import org.cernvm.copilot.protocol.security.Certificates;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Enrollment;
import org.cernvm.copilot.protocol.security.EnrollmentException;
import org.cernvm.copilot.protocol.security.Identity;
import org.cernvm.copilot.protocol.security.MessageRejectedException;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.time.Scheduler;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.cernvm.copilot.metrics.BusMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key manager on the bus. It answers {@code enroll} with {@code enrolled} — a certificate in the role
 * the one-time token was made for — {@code renew} with a new certificate in the signer's name and role,
 * and {@code fetchCrl} with its revocation list; it refuses anything else. The name enrolled must be the
 * sender's account, so a token cannot buy a certificate for somebody else's name. A repeated enrollment
 * (same token, name and key, within the token's validity) is answered with the certificate issued the
 * first time, so that a component whose answer was lost can ask again. Tokens arrive sealed for the CA's
 * key and are never logged; what a peer sent is logged only through {@link Untrusted#text}. Its own
 * certificate, which signs its answers, it issues itself and renews, and it keeps its own revocation list
 * current.
 */
public final class KeyManagerService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KeyManagerService.class);

  private final KeyManager keyManager;
  private final Bus bus;
  private final Clock clock;
  private final Counter issued;
  private final Counter refused;
  private Scheduler.Cancellable upkeep;

  private KeyManagerService(KeyManager keyManager, Bus bus, Clock clock, PrometheusRegistry registry) {
    this.keyManager = keyManager;
    this.bus = bus;
    this.clock = clock;
    this.issued = Counter.builder().name("copilot_certificates_issued_total")
        .help("Certificates issued, by the request (enroll or renew) and the role certified")
        .labelNames("verb", "role").register(registry);
    BusMetrics.register(registry, bus);
    this.refused = Counter.builder().name("copilot_key_manager_refusals_total")
        .help("Requests the key manager refused, by verb and code").labelNames("verb", "code").register(registry);
  }

  /**
   * Starts answering on {@code bus}, whose security should come from {@link KeyManager#security}; every
   * minute it renews its own certificate when due and reloads its revocation list.
   */
  public static KeyManagerService start(KeyManager keyManager, Bus bus, Scheduler scheduler) {
    return start(keyManager, bus, scheduler, new PrometheusRegistry());
  }

  /** Starts answering on {@code bus} as {@link #start(KeyManager, Bus, Scheduler)} does, with metrics in {@code registry}. */
  public static KeyManagerService start(KeyManager keyManager, Bus bus, Scheduler scheduler,
      PrometheusRegistry registry) {
    KeyManagerService s = new KeyManagerService(keyManager, bus, scheduler.clock(), registry);
    bus.subscribe(s::onMessage);
    s.upkeep = scheduler.every(Duration.ofMinutes(1), s::upkeep);
    log.info("key manager {} answering enrollment, renewal and revocation-list requests", bus.self());
    return s;
  }

  /** Renews the key manager's own certificate when due and reloads the revocation list now. */
  public void upkeep() {
    try {
      bus.security().authority().update(keyManager.ca().crl());
      Optional<Credentials> own = bus.security().keyring().current();
      if (own.isPresent() && !own.get().renewAt().isAfter(clock.instant())) {
        bus.security().keyring().install(keyManager.ca().issueOwn(own.get().name(), keyManager.validity()));
        log.info("renewed the key manager's own certificate");
      }
    } catch (IOException | RuntimeException e) {
      log.warn("key manager upkeep failed: {}", e.toString());
    }
  }

  private void onMessage(Incoming in) {
    Message m = in.message();
    Reply reply =
        switch (m.verb()) {
          case ENROLL -> enroll(in, (Enroll) m);
          case RENEW -> renew(in, (Renew) m);
          case FETCH_CRL -> crl(m);
          case WANT_GET_JOB, GET_JOB, HEARTBEAT, JOB_DONE, REGISTER_OUTPUTS, WANT_STORE_JOB_OUTPUT_DIR, KILL, DRAIN ->
              error(m, ErrorCode.UNSUPPORTED, m.verb() + " does not go to the key manager");
          case HAVE_GET_JOB, RUN_JOB, STORE_JOB_OUTPUT_DIR, ENROLLED, CRL, ACK, ERROR -> null;
        };
    if (reply instanceof ErrorReply e) {
      refused.labelValues(label(m.verb()), label(e.code())).inc();
    }
    if (reply != null) {
      try {
        bus.send(in.from(), reply);
      } catch (BusException e) {
        log.warn("could not answer {} with {}: {}", Untrusted.text(in.from()), reply.verb(),
            Untrusted.text(e.getMessage()));
      }
    }
  }

  private Reply enroll(Incoming in, Enroll e) {
    if (!in.from().local().equals(e.name())) {
      return refuse(e, ErrorCode.FORBIDDEN, "sender " + in.from().bare() + " may not enroll as " + e.name());
    }
    PKCS10CertificationRequest request;
    try {
      request = csr(e.csr());
    } catch (EnrollmentException ex) {
      return refuse(e, ErrorCode.INVALID_FIELD, ex.getMessage());
    }
    try {
      String token = keyManager.ca().unseal(bus.security(), e.token(), Enrollment.TOKEN_PURPOSE);
      EnrollmentTokens.Redeemed redeemed = keyManager.enroll(token, request, e.name());
      if (redeemed.repeated()) {
        // The component did not get the first answer (lost, or refused for a key it no longer held) and
        // asked again with the same key: it gets the same certificate.
        log.info("answered a repeated enrollment of {} with the certificate issued to it before (serial {})",
            Untrusted.text(e.name()), redeemed.certificate().getSerialNumber().toString(16));
        return answer(e, redeemed.certificate());
      }
      return enrolled(e, redeemed.certificate());
    } catch (MessageRejectedException ex) {
      return refuse(e, ErrorCode.UNAUTHENTICATED, ex.getMessage());
    } catch (EnrollmentException ex) {
      return refuse(e, ErrorCode.FORBIDDEN, ex.getMessage());
    } catch (IOException ex) {
      log.warn("enrollment of {} failed: {}", Untrusted.text(e.name()), ex.toString());
      return error(e, ErrorCode.INTERNAL, "the key manager could not record the enrollment");
    }
  }

  private Reply renew(Incoming in, Renew r) {
    Optional<Identity> holder = in.sender();
    if (holder.isEmpty()) {
      return refuse(r, ErrorCode.UNAUTHENTICATED, "renew must be signed with the certificate to renew");
    }
    try {
      return enrolled(r, keyManager.renew(holder.get(), csr(r.csr())));
    } catch (EnrollmentException ex) {
      return refuse(r, ErrorCode.INVALID_FIELD, ex.getMessage());
    }
  }

  private Reply crl(Message request) {
    try {
      return new Crl(MessageIds.next(), clock.instant(), request.id(), Pem.of(keyManager.ca().crl()));
    } catch (IOException ex) {
      log.warn("cannot read the revocation list: {}", ex.toString());
      return error(request, ErrorCode.INTERNAL, "the key manager cannot read its revocation list");
    }
  }

  private Enrolled enrolled(Message request, X509Certificate cert) {
    log.info("issued {} to {} as {} (serial {}), valid until {}", request.verb() == org.cernvm.copilot.protocol.Verb.RENEW
            ? "a renewed certificate" : "a certificate", Untrusted.text(Certificates.nameOf(cert)),
        Certificates.roleOf(cert).map(r -> r.wireName()).orElse("?"), cert.getSerialNumber().toString(16),
        cert.getNotAfter().toInstant());
    issued.labelValues(label(request.verb()), Certificates.roleOf(cert).map(r -> r.wireName()).orElse("none")).inc();
    return answer(request, cert);
  }

  private Enrolled answer(Message request, X509Certificate cert) {
    return new Enrolled(MessageIds.next(), clock.instant(), request.id(), Pem.of(cert),
        Pem.of(keyManager.ca().certificate()));
  }

  private static PKCS10CertificationRequest csr(String pem) throws EnrollmentException {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      if (p.readObject() instanceof PKCS10CertificationRequest request) {
        return request;
      }
      throw new EnrollmentException("csr is not a PEM certificate request");
    } catch (IOException ex) {
      throw new EnrollmentException("csr cannot be read: " + ex.getMessage());
    }
  }

  private ErrorReply refuse(Message request, ErrorCode code, String why) {
    log.warn("refused {} {}: {}", request.verb(), Untrusted.text(request.id()), Untrusted.text(why));
    return error(request, code, why);
  }

  private static String label(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  private ErrorReply error(Message request, ErrorCode code, String text) {
    return ErrorReply.to(request.id(), clock.instant(), code, text);
  }

  @Override
  public void close() {
    if (upkeep != null) {
      upkeep.cancel();
    }
  }
}
