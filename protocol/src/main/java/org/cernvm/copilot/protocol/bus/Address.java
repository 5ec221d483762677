package org.cernvm.copilot.protocol.bus;

/**
 * A bus address: an XMPP JID, bare ({@code jobmanager@copilot.local}) or full
 * ({@code jobmanager@copilot.local/jm-1}). A message to a bare address reaches every endpoint that is
 * online under it, which is how several job managers share one service address.
 *
 * @param value the address text
 */
public record Address(String value) {
  public Address {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("address must not be blank");
    }
  }

  /** Parses an address. */
  public static Address of(String value) {
    return new Address(value);
  }

  /** This address without its resource part. */
  public Address bare() {
    int slash = value.indexOf('/');
    return slash < 0 ? this : new Address(value.substring(0, slash));
  }

  /** The part before {@code @}, or the whole bare address when there is none. */
  public String local() {
    String bare = bare().value;
    int at = bare.indexOf('@');
    return at < 0 ? bare : bare.substring(0, at);
  }

  /** The server's domain: the part after {@code @} and before {@code /}, or the whole bare address. */
  public String domain() {
    String bare = bare().value;
    return bare.substring(bare.indexOf('@') + 1);
  }

  /** Whether this address has a resource part. */
  public boolean isFull() {
    return value.indexOf('/') >= 0;
  }

  @Override
  public String toString() {
    return value;
  }
}
