package org.cernvm.copilot.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.apache.hc.core5.http.io.support.ClassicRequestBuilder;
import org.apache.hc.core5.util.Timeout;
import org.cernvm.copilot.protocol.MessageIds;

/**
 * The {@code webdav} backend: a WebDAV server (nginx's dav module, Apache mod_dav, dCache, EOS) reached
 * with Apache HttpClient 5. Collections, the base one included, are created with {@code MKCOL} as needed
 * (its parent must exist); each object is {@code PUT} to a
 * temporary name in its collection and {@code MOVE}d onto its key once verified.
 */
final class WebDavBackend implements StorageBackend {
  private final String base;
  private final CloseableHttpClient http;
  private final Set<String> knownCollections = ConcurrentHashMap.newKeySet();

  WebDavBackend(URI collection, Duration timeout) {
    String b = collection.toString();
    this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    Timeout t = Timeout.of(timeout);
    this.http = HttpClients.custom()
        .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
            .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(t).setSocketTimeout(t).build())
            .setMaxConnTotal(64)
            .setMaxConnPerRoute(64)
            .build())
        .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(t).build())
        .disableAutomaticRetries()
        .disableRedirectHandling()
        .build();
  }

  @Override
  public String name() {
    return "webdav";
  }

  private String url(String key) {
    return base + "/" + Keys.encode(key);
  }

  private record Answer(int code, String reason, Header length) {}

  private Answer execute(ClassicHttpRequest request) throws IOException {
    return http.execute(request, (ClassicHttpResponse r) -> {
      EntityUtils.consume(r.getEntity());
      return new Answer(r.getCode(), r.getReasonPhrase(), r.getFirstHeader("Content-Length"));
    });
  }

  private static IOException refused(String what, Answer a) {
    return new IOException("WebDAV " + what + " answered " + a.code() + " " + a.reason());
  }

  @Override
  public PendingWrite write(String key, InputStream content, long length) throws IOException {
    var segments = Keys.segments(key);
    mkcol("");
    StringBuilder collection = new StringBuilder();
    for (String s : segments.subList(0, segments.size() - 1)) {
      collection.append(collection.length() == 0 ? "" : "/").append(s);
      mkcol(collection.toString());
    }
    String name = segments.get(segments.size() - 1);
    String dir = collection.length() == 0 ? "" : collection + "/";
    String tmp = url(dir + "." + name + "." + MessageIds.next() + ".part");
    PendingWrite pending = new PendingWrite() {
      @Override
      public void commit() throws IOException {
        Answer a = execute(ClassicRequestBuilder.create("MOVE").setUri(tmp)
            .addHeader("Destination", url(key)).addHeader("Overwrite", "T").build());
        if (a.code() != 201 && a.code() != 204) {
          abort();
          throw refused("MOVE " + tmp + " to " + url(key), a);
        }
      }

      @Override
      public void abort() {
        try {
          execute(ClassicRequestBuilder.delete(tmp).build());
        } catch (IOException e) {
          // The server keeps a .part object at worst; it is never read as an output.
        }
      }
    };
    Answer put;
    try {
      put = execute(ClassicRequestBuilder.put(tmp)
          .setEntity(new InputStreamEntity(content, length, ContentType.APPLICATION_OCTET_STREAM)).build());
    } catch (IOException | RuntimeException e) {
      pending.abort();
      throw e;
    }
    if (put.code() != 201 && put.code() != 204) {
      pending.abort();
      throw refused("PUT " + tmp, put);
    }
    return pending;
  }

  private void mkcol(String collection) throws IOException {
    if (knownCollections.contains(collection)) {
      return;
    }
    String uri = collection.isEmpty() ? base + "/" : url(collection) + "/";
    Answer a = execute(ClassicRequestBuilder.create("MKCOL").setUri(uri).build());
    // 405: the collection exists already.
    if (a.code() != 201 && a.code() != 405) {
      throw refused("MKCOL " + uri, a);
    }
    knownCollections.add(collection);
  }

  @Override
  public OptionalLong size(String key) throws IOException {
    Answer a = execute(ClassicRequestBuilder.head(url(key)).build());
    if (a.code() == 404) {
      return OptionalLong.empty();
    }
    if (a.code() != 200 || a.length() == null) {
      throw refused("HEAD " + url(key), a);
    }
    return OptionalLong.of(Long.parseLong(a.length().getValue()));
  }

  @Override
  public InputStream open(String key) throws IOException {
    ClassicHttpResponse r = http.executeOpen(null, ClassicRequestBuilder.get(url(key)).build(), null);
    if (r.getCode() != 200) {
      Answer a = new Answer(r.getCode(), r.getReasonPhrase(), null);
      r.close();
      throw refused("GET " + url(key), a);
    }
    InputStream body = r.getEntity().getContent();
    return new java.io.FilterInputStream(body) {
      @Override
      public void close() throws IOException {
        r.close();
      }
    };
  }

  @Override
  public String location(String key) {
    return url(key);
  }

  @Override
  public void close() {
    try {
      http.close();
    } catch (IOException e) {
      // Closing idle connections cannot fail in a way worth reporting.
    }
  }

  @Override
  public String toString() {
    return "webdav " + base;
  }
}
