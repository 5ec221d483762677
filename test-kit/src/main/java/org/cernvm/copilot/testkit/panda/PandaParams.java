package org.cernvm.copilot.testkit.panda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The parameters of a call to the PanDA server, from whichever body a client sends: form-encoded (pilot3's
 * curl fallback, Harvester), JSON, or gzip-compressed JSON with {@code Content-Type: application/json} and
 * no {@code Content-Encoding} (pilot3's default transport). The real server's legacy API gunzips every JSON
 * body and its v1 API only one that says {@code Content-Encoding: gzip}; the fake gunzips a body that says
 * so or starts with gzip's magic bytes, so that it reads what either API reads. JSON values become text as
 * the server's handlers see them: numbers as written, {@code true} as {@code True}.
 */
public final class PandaParams {
  /** The largest body, compressed or not, a call may send: a final report of many files fits. */
  static final int MAX_BODY_BYTES = 8 << 20;
  /** The fake server's JSON mapper: bodies and reports read, answers written. */
  static final JsonMapper JSON = JsonMapper.builder().build();

  private PandaParams() {}

  /** A body that cannot be read as the parameters of a call. */
  static final class BadBody extends Exception {
    private static final long serialVersionUID = 1L;
    final int httpStatus;

    BadBody(int httpStatus, String message) {
      super(message);
      this.httpStatus = httpStatus;
    }
  }

  /** Reads the parameters of a body of {@code contentType} (may be null) and {@code contentEncoding}. */
  static Map<String, String> read(byte[] body, String contentType, String contentEncoding) throws BadBody {
    boolean json = contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json");
    byte[] plain = isGzip(body) || "gzip".equalsIgnoreCase(contentEncoding) ? gunzip(body) : body;
    if (!json) {
      try {
        return form(new String(plain, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new BadBody(500, "cannot read the form: " + e.getMessage());
      }
    }
    JsonNode root;
    try {
      root = JSON.readTree(plain);
    } catch (JsonProcessingException e) {
      throw new BadBody(500, "received invalid JSON : " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadBody(500, "received invalid JSON : " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new BadBody(500, "received invalid JSON : the body is not an object of parameters");
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      JsonNode v = e.getValue();
      if (v.isNull()) {
        continue;
      }
      m.put(e.getKey(), v.isBoolean() ? (v.asBoolean() ? "True" : "False") : v.isValueNode() ? v.asText() : v.toString());
    }
    return m;
  }

  private static boolean isGzip(byte[] body) {
    return body.length >= 2 && (body[0] & 0xff) == 0x1f && (body[1] & 0xff) == 0x8b;
  }

  private static byte[] gunzip(byte[] body) throws BadBody {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      byte[] out = in.readNBytes(MAX_BODY_BYTES + 1);
      if (out.length > MAX_BODY_BYTES) {
        throw new BadBody(413, "the body decompresses to more than " + MAX_BODY_BYTES + " bytes");
      }
      return out;
    } catch (IOException e) {
      throw new BadBody(500, "cannot decompress the body: " + e.getMessage());
    }
  }

  /** Form encoding, {@code key=value&...}, URL-encoded. */
  public static Map<String, String> form(String body) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      m.put(k, v);
    }
    return m;
  }

  /** A parameter as a number, or {@code fallback} when it is missing or not one, as PanDA's handlers take it. */
  static long parseLong(String v, long fallback) {
    try {
      return v == null || v.isBlank() ? fallback : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
