package org.cernvm.copilot.protocol.security;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.LeaseTicket;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.Sealed;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.WireJson;
import org.cernvm.copilot.protocol.bus.Address;

/**
 * Message security as every bus applies it: each message travels in an authenticated envelope, is
 * verified by its receiver, and is admitted only if its sender's role may send its verb and it is neither
 * stale nor a replay. Secrets inside messages are {@linkplain #seal sealed} for their recipient, and job
 * managers sign {@linkplain #ticket lease tickets}.
 *
 * <p>The envelope is one line of JSON, the header, then a newline and the message's JSON text. A message is
 * authenticated in one of two ways:
 *
 * <ul>
 *   <li><b>Signed</b>, header {@code {"to", "cert", "sig"}}: {@code cert} is the sender's certificate (DER,
 *       base64) and {@code sig} its ECDSA P-256 signature over {@code "copilot-signed-v1\n" + to + "\n" +
 *       body}. Messages to a bare address (which may reach several replicas) and to a peer not heard from
 *       yet are signed.
 *   <li><b>MAC</b>, header {@code {"to", "from", "for", "mac"}} and {@code cert} until the peer has shown
 *       that it knows it: {@code from} and {@code for} are the fingerprints of the sender's and the
 *       recipient's certificates, and {@code mac} is HMAC-SHA256 over {@code "copilot-mac-v1\n" + from +
 *       "\n" + for + "\n" + to + "\n" + body} under a key that only the two hold: HKDF of the static ECDH
 *       secret of their two certified keys. A peer at a full address whose certificate this component has
 *       verified gets MACs: one HMAC instead of a signature and its verification, and no certificate in
 *       every message, made the messages several times cheaper for sender, server and receiver.
 * </ul>
 *
 * <p>{@code to} is the recipient's address as the sender wrote it (bare or full), so that a message cannot
 * be replayed to somebody else. The receiver checks, in order: the certificate (presented, or known by its
 * fingerprint) against the {@link Authority} (issuer, validity, revocation, role), the signature or MAC,
 * that the certificate's name is the sender's XMPP account, that it is the recipient, that {@code sentAt}
 * is within the window of its clock, that the id was not seen within twice the window, and that the role
 * may send the verb. A MAC for a key the receiver does not hold (it restarted, or its certificate was
 * renewed twice since) is refused {@code SIGN_AGAIN}, and the sender's bus sends the request again,
 * signed. Only {@code enroll} may travel unsigned, since the component has no certificate yet.
 */
public final class MessageSecurity {
  /**
   * A verified envelope.
   *
   * @param body the message's JSON text
   * @param sender who signed it; empty only for an unsigned {@code enroll}
   * @param to the address the sender signed it for: this component's bare address, or a full one — possibly
   *     another resource's, when the server delivered a message for an absent resource to the account
   */
  public record Opened(String body, Optional<Identity> sender, Address to) {}

  /** The first line of an envelope; absent fields are left out. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private record Header(String to, String cert, String sig, String from, @JsonProperty("for") String recipient,
      String mac) {}

  /**
   * A sender's certificate, with its key as Bouncy Castle's object (which verifies several times faster)
   * and its fingerprint.
   */
  private record Signer(X509Certificate certificate, PublicKey key, String fingerprint) {}

  /** This component's credentials as it presents them. */
  private record Own(Credentials credentials, String der64, String fingerprint) {}

  /**
   * What this component knows of the peer at one full address.
   *
   * @param signer the certificate it last authenticated a message with
   * @param knowsMine the fingerprint of this component's certificate that its last message was MACed for;
   *     {@code null} after a signed message, which says that it may not know this component's certificate
   */
  private record Peer(Signer signer, String knowsMine) {}

  private static final String SIGNED_PREFIX = "copilot-signed-v1\n";
  private static final String MAC_PREFIX = "copilot-mac-v1\n";
  private static final Set<Role> ANY = EnumSet.allOf(Role.class);

  /** The longest envelope header read: a certificate and a few short fields. */
  static final int MAX_HEADER_CHARS = 8 * 1024;
  /** The longest certificate read, in base64: a CoPilot certificate takes under 1,000 characters. */
  static final int MAX_CERTIFICATE_CHARS = 4 * 1024;
  /** How many unsigned message ids are remembered; only {@code enroll} travels unsigned. */
  static final int MAX_UNSIGNED_IDS = 10_000;

  private final Keyring keyring;
  private final Authority authority;
  private final Clock clock;
  private final Duration window;
  private final Instant startedAt;
  // Every cache below takes entries only for what passed the CA's check, but for unsignedSeen, which is
  // bounded in size: an unauthenticated sender can make none of them grow past its bound.
  private final Cache<String, Boolean> seen;
  private final Cache<String, Boolean> unsignedSeen;
  private final Cache<String, Signer> parsed;
  private final Cache<String, Signer> byFingerprint;
  private final Cache<Address, Peer> peers;
  private final Cache<String, SecretKeySpec> pairKeys;
  private final AtomicReference<Own> own = new AtomicReference<>();
  private final Map<Rejection, LongAdder> rejected = new EnumMap<>(Rejection.class);
  private final ObjectMapper json =
      JsonMapper.builder(WireJson.factory()).disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  private final SecureRandom random = new SecureRandom();

  private MessageSecurity(Keyring keyring, Authority authority, Clock clock, Duration window) {
    this.keyring = keyring;
    this.authority = authority;
    this.clock = clock;
    this.window = window;
    this.startedAt = clock.instant();
    this.seen = expiring(window.multipliedBy(2), Long.MAX_VALUE, false);
    this.unsignedSeen = expiring(window.multipliedBy(2), MAX_UNSIGNED_IDS, false);
    this.parsed = expiring(Duration.ofHours(1), 10_000, true);
    this.byFingerprint = expiring(Duration.ofHours(1), 100_000, true);
    this.peers = expiring(Duration.ofHours(1), 100_000, true);
    this.pairKeys = expiring(Duration.ofHours(1), 100_000, true);
    for (Rejection r : Rejection.values()) {
      rejected.put(r, new LongAdder());
    }
  }

  /** A cache on this component's clock whose entries expire {@code after} their last write or read. */
  private <K, V> Cache<K, V> expiring(Duration after, long maximumSize, boolean onAccess) {
    Caffeine<Object, Object> b = Caffeine.newBuilder().ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()));
    b = onAccess ? b.expireAfterAccess(after) : b.expireAfterWrite(after);
    return (maximumSize == Long.MAX_VALUE ? b : b.maximumSize(maximumSize)).build();
  }

  /**
   * Creates the security of one bus.
   *
   * @param keyring this component's credentials; empty until it enrolls
   * @param authority the CA to trust
   * @param window how far a message's {@code sentAt} may be from this clock
   */
  public static MessageSecurity create(Keyring keyring, Authority authority, Clock clock, Duration window) {
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("the replay window must be positive: " + window);
    }
    return new MessageSecurity(keyring, authority, clock, window);
  }

  /** The roles that may send {@code verb}. */
  public static Set<Role> senders(Verb verb) {
    return switch (verb) {
      case WANT_GET_JOB, GET_JOB, HEARTBEAT, JOB_DONE, WANT_STORE_JOB_OUTPUT_DIR -> EnumSet.of(Role.AGENT);
      case HAVE_GET_JOB, RUN_JOB -> EnumSet.of(Role.JOB_MANAGER);
      case STORE_JOB_OUTPUT_DIR, REGISTER_OUTPUTS -> EnumSet.of(Role.STORAGE);
      case ENROLLED, CRL -> EnumSet.of(Role.KEY_MANAGER);
      case KILL, DRAIN -> EnumSet.of(Role.OPERATOR, Role.JOB_MANAGER);
      case ENROLL, RENEW, FETCH_CRL, ACK, ERROR -> ANY;
    };
  }

  /** This component's keyring. */
  public Keyring keyring() {
    return keyring;
  }

  /** The CA trusted. */
  public Authority authority() {
    return authority;
  }

  /** The clock that times messages and certificates. */
  public Clock clock() {
    return clock;
  }

  /**
   * Puts a message body in an envelope for {@code to}: MACed for a peer at a full address whose
   * certificate is known, signed otherwise; an {@code enroll} from a component without credentials goes
   * unsigned.
   *
   * @throws IllegalStateException if the component has not enrolled and the verb is not {@code enroll}
   */
  public String wrap(Address to, Verb verb, String body) {
    Optional<Credentials> creds = keyring.current();
    try {
      if (creds.isEmpty()) {
        if (verb != Verb.ENROLL) {
          throw new IllegalStateException("not enrolled yet: cannot sign " + verb + " to " + to);
        }
        return envelope(new Header(to.value(), null, null, null, null, null), body);
      }
      Own me = own(creds.get());
      Peer peer = to.isFull() ? peers.getIfPresent(to) : null;
      if (peer == null) {
        return envelope(new Header(to.value(), me.der64(), sign(me.credentials(), SIGNED_PREFIX + to.value() + "\n"
            + body), null, null, null), body);
      }
      String theirs = peer.signer().fingerprint();
      String mac = mac(pairKey(me.credentials(), me.fingerprint(), peer.signer()), me.fingerprint(), theirs,
          to.value(), body);
      String cert = me.fingerprint().equals(peer.knowsMine()) ? null : me.der64();
      return envelope(new Header(to.value(), cert, null, me.fingerprint(), theirs, mac), body);
    } catch (GeneralSecurityException | JsonProcessingException e) {
      throw new IllegalStateException("cannot sign " + verb + " to " + to + ": " + e.getMessage(), e);
    }
  }

  /**
   * Forgets what this component knew of the peer at {@code address}, so that the next message to it is
   * signed and carries the certificate.
   */
  public void forget(Address address) {
    peers.invalidate(address);
  }

  /**
   * Opens an envelope from {@code from} received at {@code self}: checks the certificate, the signature or
   * MAC, the sender and the recipient, and remembers the sender's certificate for MACs to it.
   *
   * @throws MessageRejectedException if any check fails
   */
  public Opened open(Address from, Address self, String wire) throws MessageRejectedException {
    int newline = wire.indexOf('\n');
    if (newline > MAX_HEADER_CHARS) {
      throw reject(Rejection.MALFORMED_ENVELOPE, null, "the envelope header from " + Untrusted.text(from, 100) + " is longer than "
          + MAX_HEADER_CHARS + " characters");
    }
    Header h = null;
    if (newline > 0) {
      try {
        h = json.readValue(wire.substring(0, newline), Header.class);
      } catch (JsonProcessingException e) {
        h = null;
      }
    }
    if (h == null) {
      throw reject(Rejection.UNSIGNED, requestId(wire), "unsigned message from " + Untrusted.text(from, 100));
    }
    String body = wire.substring(newline + 1);
    String to = h.to() == null ? "" : h.to();
    if (h.sig() == null && h.mac() == null) {
      // Whoever sends unsigned holds no certificate now: a process restarted under the same full address
      // has lost the keys that this component would otherwise MAC its answer for.
      peers.invalidate(from);
      return new Opened(body, Optional.empty(), self.bare());
    }
    // Only a rejection needs the request's id, to quote in its error answer; most messages pass.
    Supplier<String> id = () -> requestId(body);
    Signer signer;
    Identity identity;
    try {
      signer = h.cert() != null ? signer(h.cert(), clock.instant())
          : h.from() == null ? null : byFingerprint.getIfPresent(h.from());
      if (signer == null) {
        throw new MessageRejectedException(h.from() == null ? Rejection.UNSIGNED : Rejection.UNKNOWN_KEY, null,
            "the message from " + Untrusted.text(from, 100) + " names a certificate this component does not know");
      }
      identity = authority.check(signer.certificate(), clock.instant());
    } catch (MessageRejectedException e) {
      throw reject(e.reason(), id.get(), e.getMessage());
    }
    if (h.mac() != null) {
      Credentials mine = credentialsFor(h.recipient());
      if (mine == null) {
        throw reject(Rejection.UNKNOWN_KEY, id.get(), "the message from " + identity + " is MACed for a "
            + "certificate this component does not hold");
      }
      if (!signer.fingerprint().equals(h.from()) || !macVerifies(mine, h.recipient(), signer, to, body, h.mac())) {
        throw reject(Rejection.BAD_SIGNATURE, id.get(), "the MAC of " + identity + " does not verify");
      }
    } else if (!verifies(signer.key(), SIGNED_PREFIX + to + "\n" + body, h.sig())) {
      throw reject(Rejection.BAD_SIGNATURE, id.get(), "the signature of " + identity + " does not verify");
    }
    if (!identity.name().equals(from.local())) {
      throw reject(Rejection.WRONG_SENDER, id.get(), "certificate of " + identity + " presented by account "
          + Untrusted.text(from.bare(), 100));
    }
    Address recipient;
    try {
      recipient = Address.of(to);
    } catch (IllegalArgumentException e) {
      throw reject(Rejection.WRONG_RECIPIENT, id.get(), "message from " + identity + " names no recipient");
    }
    if (!recipient.bare().equals(self.bare())) {
      throw reject(Rejection.WRONG_RECIPIENT, id.get(), "message from " + identity + " was signed for " + to + ", not "
          + self.bare());
    }
    byFingerprint.put(signer.fingerprint(), signer);
    if (from.isFull()) {
      peers.put(from, new Peer(signer, h.mac() == null ? null : h.recipient()));
    }
    return new Opened(body, Optional.of(identity), recipient);
  }

  /** The message text of an envelope as {@link #wrap} makes it, for tools that read raw traffic. */
  public static String bodyOf(String wire) {
    return wire.substring(wire.indexOf('\n') + 1);
  }

  /**
   * Admits a decoded message: within the time window, not seen before, from a role that may send it.
   * Only an admitted message's id is remembered, so a rejected forgery cannot block the genuine message.
   *
   * @throws MessageRejectedException if it is not admitted
   */
  public void admit(Message m, Optional<Identity> sender) throws MessageRejectedException {
    String id = m instanceof Request ? m.id() : null;
    if (sender.isEmpty()) {
      if (m.verb() != Verb.ENROLL) {
        throw reject(Rejection.UNSIGNED, id, "unsigned " + m.verb() + " " + m.id());
      }
    } else if (!senders(m.verb()).contains(sender.get().role())) {
      throw reject(Rejection.WRONG_ROLE, id, sender.get() + " may not send " + m.verb() + "; only "
          + senders(m.verb()).stream().map(Role::wireName).toList() + " may");
    }
    Instant now = clock.instant();
    if (m.sentAt().isBefore(now.minus(window)) || m.sentAt().isAfter(now.plus(window))) {
      throw reject(Rejection.STALE, id, m.verb() + " " + m.id() + " sent at " + m.sentAt() + " is outside the "
          + window.toSeconds() + " s window around " + now);
    }
    // What this component saw before it started is forgotten; what was sent before it started is refused,
    // so that a restart does not reopen the window for a message it accepted then, however fast the restart.
    // A message in flight, or from a peer whose clock is behind, gets a retryable STALE and is sent afresh.
    if (m.sentAt().isBefore(startedAt)) {
      throw reject(Rejection.SENT_BEFORE_START, id, m.verb() + " " + m.id() + " sent at " + m.sentAt()
          + " is older than this component, started at " + startedAt);
    }
    Cache<String, Boolean> ids = sender.isEmpty() ? unsignedSeen : seen;
    if (ids.asMap().putIfAbsent(m.id(), Boolean.TRUE) != null) {
      throw reject(Rejection.REPLAYED, id, m.verb() + " " + m.id() + " was received before");
    }
  }

  /**
   * Seals a secret for the holder of {@code recipient}'s private key.
   *
   * @param purpose what the secret is for, e.g. {@code upload-grant}; opening it for another purpose fails
   */
  public Sealed seal(String secret, X509Certificate recipient, String purpose) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Certificates.BC);
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      KeyPair ephemeral = g.generateKeyPair();
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, aesKey(ephemeral.getPrivate(), recipient.getPublicKey(), purpose),
          new GCMParameterSpec(128, nonce));
      cipher.updateAAD(purpose.getBytes(StandardCharsets.UTF_8));
      byte[] data = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      Base64.Encoder b64 = Base64.getEncoder();
      return new Sealed(b64.encodeToString(ephemeral.getPublic().getEncoded()), b64.encodeToString(nonce),
          b64.encodeToString(data));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal a " + purpose + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens a secret sealed for this component.
   *
   * @throws MessageRejectedException if it was not sealed for this component's key or for {@code purpose},
   *     or was tampered with
   */
  public String unseal(Sealed sealed, String purpose) throws MessageRejectedException {
    Credentials c = keyring.current().orElseThrow(() -> new IllegalStateException("not enrolled: cannot open a "
        + purpose));
    return unseal(sealed, c.key(), purpose);
  }

  /** Opens a secret sealed for {@code key}; the key manager opens enrollment tokens with the CA key. */
  public String unseal(Sealed sealed, PrivateKey key, String purpose) throws MessageRejectedException {
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      PublicKey ephemeral = KeyFactory.getInstance("EC", Certificates.BC)
          .generatePublic(new X509EncodedKeySpec(b64.decode(sealed.key())));
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, aesKey(key, ephemeral, purpose),
          new GCMParameterSpec(128, b64.decode(sealed.nonce())));
      cipher.updateAAD(purpose.getBytes(StandardCharsets.UTF_8));
      return new String(cipher.doFinal(b64.decode(sealed.data())), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw reject(Rejection.BAD_SEAL, null, "the sealed " + purpose + " does not open with this component's key");
    }
  }

  /**
   * Signs a lease ticket saying that this job manager leased {@code jobId} to {@code agentId}, with the
   * job's sealed job ticket.
   */
  public LeaseTicket ticket(String jobManager, String source, String jobId, String agentId, LeaseRef lease,
      JobTicket job) {
    Credentials c = keyring.current().orElseThrow(() -> new IllegalStateException("not enrolled: cannot sign a "
        + "lease ticket"));
    LeaseTicket unsigned = new LeaseTicket(jobManager, source, jobId, agentId, lease, job, clock.instant(), "-",
        "-");
    try {
      return new LeaseTicket(jobManager, source, jobId, agentId, lease, job, unsigned.issuedAt(), own(c).der64(),
          sign(c, unsigned.signedText()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a lease ticket: " + e.getMessage(), e);
    }
  }

  /**
   * Verifies a lease ticket: signed by a job manager of the service it names, whose certificate was valid
   * when it signed and is not revoked now.
   *
   * @return the job manager that signed it
   * @throws MessageRejectedException if it does not verify
   */
  public Identity verify(LeaseTicket ticket) throws MessageRejectedException {
    Signer cert;
    Identity signer;
    try {
      cert = signer(ticket.certificate(), ticket.issuedAt());
      signer = authority.check(cert.certificate(), ticket.issuedAt());
    } catch (MessageRejectedException e) {
      throw reject(e.reason(), null, "the lease ticket of job " + ticket.jobId() + ": " + e.getMessage());
    }
    if (signer.role() != Role.JOB_MANAGER || !Address.of(ticket.jobManager()).local().equals(signer.name())) {
      throw reject(Rejection.BAD_SEAL, null, "the lease ticket of job " + ticket.jobId() + " was signed by "
          + signer + ", not a job manager of " + ticket.jobManager());
    }
    if (verifies(cert.key(), ticket.signedText(), ticket.signature())) {
      return signer;
    }
    throw reject(Rejection.BAD_SEAL, null, "the lease ticket of job " + ticket.jobId() + " does not verify");
  }

  /** How many messages, tickets and secrets were rejected, by reason. */
  public Map<Rejection, Long> rejections() {
    Map<Rejection, Long> out = new EnumMap<>(Rejection.class);
    rejected.forEach((r, n) -> out.put(r, n.sum()));
    return out;
  }

  /** How many certificates this component keeps parsed; each passed the CA's check. */
  long certificatesKept() {
    parsed.cleanUp();
    return parsed.estimatedSize();
  }

  /** How many ids of unsigned messages this component remembers. */
  long unsignedIdsKept() {
    unsignedSeen.cleanUp();
    return unsignedSeen.estimatedSize();
  }

  /** The base64 signature of {@code text} with {@code c}'s key. */
  private static String sign(Credentials c, String text) throws GeneralSecurityException {
    Signature s = Signature.getInstance(Certificates.SIGNATURE, Certificates.BC);
    s.initSign(c.key());
    s.update(text.getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().encodeToString(s.sign());
  }

  /** Whether {@code signature} (base64) is the signature of {@code text} with the private half of {@code key}. */
  private static boolean verifies(PublicKey key, String text, String signature) {
    try {
      Signature s = Signature.getInstance(Certificates.SIGNATURE, Certificates.BC);
      s.initVerify(key);
      s.update(text.getBytes(StandardCharsets.UTF_8));
      return s.verify(Base64.getDecoder().decode(signature));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The certificate in base64 DER, parsed once per distinct certificate that the CA's check passed at
   * {@code at}: one that fails is parsed again each time it is presented, rather than kept.
   *
   * @throws MessageRejectedException if it is too long, cannot be read, or fails the CA's check
   */
  private Signer signer(String der64, Instant at) throws MessageRejectedException {
    Signer known = parsed.getIfPresent(der64);
    if (known != null) {
      return known;
    }
    if (der64.length() > MAX_CERTIFICATE_CHARS) {
      throw new MessageRejectedException(Rejection.UNTRUSTED_CERTIFICATE, null, "a certificate of " + der64.length()
          + " characters is longer than the " + MAX_CERTIFICATE_CHARS + " a CoPilot certificate may take");
    }
    Signer fresh;
    try {
      X509Certificate c = Pem.certificate(Base64.getDecoder().decode(der64));
      fresh = new Signer(c, Certificates.inBouncyCastle(c.getPublicKey()), fingerprint(c));
    } catch (IllegalArgumentException e) {
      throw new MessageRejectedException(Rejection.UNTRUSTED_CERTIFICATE, null, "a certificate that cannot be read");
    }
    authority.check(fresh.certificate(), at);
    parsed.put(der64, fresh);
    return fresh;
  }

  private MessageRejectedException reject(Rejection reason, String id, String why) {
    rejected.get(reason).increment();
    return new MessageRejectedException(reason, id, why);
  }

  private static SecretKeySpec aesKey(PrivateKey mine, PublicKey theirs, String purpose)
      throws GeneralSecurityException {
    return new SecretKeySpec(agree(mine, theirs, "copilot-seal-v1 " + purpose), "AES");
  }

  /** 32 bytes of HKDF-SHA256 of the ECDH secret of {@code mine} and {@code theirs}, for {@code info}. */
  private static byte[] agree(PrivateKey mine, PublicKey theirs, String info) throws GeneralSecurityException {
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", Certificates.BC);
    ka.init(mine);
    ka.doPhase(theirs, true);
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ka.generateSecret(), null, info.getBytes(StandardCharsets.UTF_8)));
    byte[] key = new byte[32];
    hkdf.generateBytes(key, 0, key.length);
    return key;
  }

  private String envelope(Header header, String body) throws JsonProcessingException {
    return json.writeValueAsString(header) + "\n" + body;
  }

  /** This component's credentials with their encoding and fingerprint, worked out once per certificate. */
  private Own own(Credentials c) {
    Own o = own.get();
    if (o != null && o.credentials() == c) {
      return o;
    }
    Own fresh = new Own(c, Base64.getEncoder().encodeToString(encoded(c.certificate())), fingerprint(c.certificate()));
    own.set(fresh);
    return fresh;
  }

  /** This component's credentials whose certificate has {@code fingerprint}: the current or the previous. */
  private Credentials credentialsFor(String fingerprint) {
    Optional<Credentials> current = keyring.current();
    if (current.isPresent() && own(current.get()).fingerprint().equals(fingerprint)) {
      return current.get();
    }
    Optional<Credentials> previous = keyring.previous();
    return previous.filter(p -> fingerprint(p.certificate()).equals(fingerprint)).orElse(null);
  }

  private boolean macVerifies(Credentials mine, String mineFingerprint, Signer theirs, String to, String body,
      String mac) {
    try {
      String expected = mac(pairKey(mine, mineFingerprint, theirs), theirs.fingerprint(), mineFingerprint, to, body);
      return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
          mac.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String mac(SecretKeySpec key, String from, String recipient, String to, String body)
      throws GeneralSecurityException {
    Mac m = Mac.getInstance("HmacSHA256");
    m.init(key);
    m.update((MAC_PREFIX + from + "\n" + recipient + "\n" + to + "\n").getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().withoutPadding().encodeToString(m.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The key that this component and a peer share: HKDF-SHA256 of the ECDH secret of their certified keys,
   * bound to both certificates' fingerprints. Worked out once per pair of certificates.
   */
  private SecretKeySpec pairKey(Credentials mine, String mineFingerprint, Signer theirs) {
    String a = mineFingerprint;
    String b = theirs.fingerprint();
    String pair = a.compareTo(b) < 0 ? a + " " + b : b + " " + a;
    return pairKeys.get(a + ">" + b, k -> {
      try {
        return new SecretKeySpec(agree(mine.key(), theirs.key(), "copilot-pair-v1 " + pair), "HmacSHA256");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot agree a key with " + Certificates.nameOf(theirs.certificate()) + ": "
            + e.getMessage(), e);
      }
    });
  }

  /** The first 16 bytes of the SHA-256 of a certificate's encoding, base64url. */
  private static String fingerprint(X509Certificate cert) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(encoded(cert));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 16));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  private static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("a certificate that cannot be encoded: " + e.getMessage(), e);
    }
  }

  private String requestId(String body) {
    if (body.length() > MessageCodec.MAX_BODY_BYTES) {
      return null;
    }
    try {
      return MessageCodec.offendingId(json.readTree(body));
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}
