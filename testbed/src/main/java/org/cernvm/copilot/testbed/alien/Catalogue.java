package org.cernvm.copilot.testbed.alien;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The fake AliEn file catalogue: LFNs with GUID, size, md5, the job that wrote them and their replicas.
 * Writing is booked first: the booking returns an access envelope (the LFN, GUID, size, md5 and SE, an
 * expiry) signed SHA384withRSA by the catalogue, and the commit presents the envelope back with the
 * replica's PFN. A commit of the same file again changes nothing; of different content, it is refused.
 * Thread-safe.
 */
public final class Catalogue {
  /** A catalogue entry. */
  public record Entry(String lfn, String guid, long size, String md5, long jobId, String se, String pfn) {}

  /** What a write booking grants. */
  public record Booking(String guid, String envelope) {}

  private final Clock clock;
  private final Duration envelopeLifetime;
  private final KeyPair key;
  private final Map<String, Entry> entries = new TreeMap<>();

  public Catalogue(Clock clock, Duration envelopeLifetime) {
    this.clock = clock;
    this.envelopeLifetime = envelopeLifetime;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      this.key = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks RSA", e);
    }
  }

  /** Adds a file directly, as the input data of tests and demos. */
  public synchronized void add(Entry entry) {
    entries.put(entry.lfn(), entry);
  }

  /** The entry of {@code lfn}. */
  public synchronized Optional<Entry> find(String lfn) {
    return Optional.ofNullable(entries.get(lfn));
  }

  /** Every entry under a directory. */
  public synchronized List<Entry> list(String dir) {
    String prefix = dir.endsWith("/") ? dir : dir + "/";
    return entries.values().stream().filter(e -> e.lfn().startsWith(prefix)).toList();
  }

  /**
   * Books the write of {@code lfn} by job {@code jobId}: a new GUID and a signed envelope.
   *
   * @throws IllegalArgumentException if the LFN exists with other content
   */
  public synchronized Booking book(String lfn, long size, String md5, long jobId, String se) {
    Entry existing = entries.get(lfn);
    if (existing != null && !(existing.size() == size && existing.md5().equals(md5))) {
      throw new IllegalArgumentException(lfn + " already exists with other content");
    }
    String guid = existing != null ? existing.guid() : UUID.randomUUID().toString();
    String body = String.join("\n", "lfn=" + lfn, "guid=" + guid, "size=" + size, "md5=" + md5, "se=" + se,
        "jobid=" + jobId, "access=write-once", "expires=" + clock.instant().plus(envelopeLifetime));
    return new Booking(guid, b64(body.getBytes(StandardCharsets.UTF_8)) + "." + b64(sign(body)));
  }

  /**
   * Commits a booked write with the replica's PFN.
   *
   * @throws IllegalArgumentException if the envelope is forged, expired, or the LFN holds other content
   */
  public synchronized Entry commit(String envelope, String pfn) {
    int dot = envelope.indexOf('.');
    if (dot < 0) {
      throw new IllegalArgumentException("the envelope is malformed");
    }
    String body;
    try {
      body = new String(Base64.getUrlDecoder().decode(envelope.substring(0, dot)), StandardCharsets.UTF_8);
      Signature v = Signature.getInstance("SHA384withRSA");
      v.initVerify(key.getPublic());
      v.update(body.getBytes(StandardCharsets.UTF_8));
      if (!v.verify(Base64.getUrlDecoder().decode(envelope.substring(dot + 1)))) {
        throw new IllegalArgumentException("the envelope's signature is not valid");
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("the envelope was not issued by this catalogue: " + e.getMessage());
    }
    Map<String, String> f = new TreeMap<>();
    for (String line : body.split("\n")) {
      int eq = line.indexOf('=');
      f.put(line.substring(0, eq), line.substring(eq + 1));
    }
    if (!clock.instant().isBefore(Instant.parse(f.get("expires")))) {
      throw new IllegalArgumentException("the envelope for " + f.get("lfn") + " expired at " + f.get("expires"));
    }
    Entry entry = new Entry(f.get("lfn"), f.get("guid"), Long.parseLong(f.get("size")), f.get("md5"),
        Long.parseLong(f.get("jobid")), f.get("se"), pfn);
    Entry existing = entries.get(entry.lfn());
    if (existing != null && !(existing.guid().equals(entry.guid()) && existing.md5().equals(entry.md5()))) {
      throw new IllegalArgumentException(entry.lfn() + " already exists with other content");
    }
    entries.put(entry.lfn(), entry);
    return entry;
  }

  private byte[] sign(String body) {
    try {
      Signature s = Signature.getInstance("SHA384withRSA");
      s.initSign(key.getPrivate());
      s.update(body.getBytes(StandardCharsets.UTF_8));
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign an envelope", e);
    }
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
