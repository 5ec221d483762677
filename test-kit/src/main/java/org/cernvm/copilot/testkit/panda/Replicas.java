package org.cernvm.copilot.testkit.panda;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The testbed's stand-in for the storage endpoints (Rucio RSEs) that hold PanDA jobs' inputs: {@code GET
 * /rse/<RSE>/<scope>/<LFN>} serves the replica a finished job stored there, as its final report gave it,
 * so that a second task's jobs stage in what a first task produced. With the PanDA adapter's endpoint map
 * ({@code panda.endpoints=RSE=BASE/rse/RSE}) it plays Rucio's replica lookup and the endpoint's door. A
 * replica stored on this machine ({@code file:}) is served from its file; one stored behind HTTP is a
 * redirect to it. Reads need no credential, as the agents have none.
 */
final class Replicas {
  /** The path prefix replicas are served under. */
  static final String PREFIX = "/rse/";

  private static final Pattern PATH = Pattern.compile("/rse/([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,255})");

  private final PandaDispatcher dispatcher;

  Replicas(PandaDispatcher dispatcher) {
    this.dispatcher = dispatcher;
  }

  void serve(Request request, Response response, Callback callback, String path) throws IOException {
    Matcher m = PATH.matcher(path);
    if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
      text(response, callback, 405, "replicas are read with GET");
      return;
    }
    if (!m.matches() || m.group(3).startsWith(".")) {
      text(response, callback, 404, "not a replica path: /rse/<RSE>/<scope>/<LFN>");
      return;
    }
    Optional<String> surl = dispatcher.replica(m.group(1), m.group(2), m.group(3));
    if (surl.isEmpty()) {
      text(response, callback, 404, "no replica of " + m.group(2) + ":" + m.group(3) + " at " + m.group(1));
      return;
    }
    URI where = URI.create(surl.get());
    if (!"file".equals(where.getScheme())) {
      response.setStatus(302);
      response.getHeaders().put(HttpHeader.LOCATION, where.toString());
      callback.succeeded();
      return;
    }
    Path file = Path.of(where);
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      text(response, callback, 404, "the replica of " + m.group(3) + " at " + m.group(1) + " is lost");
      return;
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, size);
    if (request.getMethod().equals("HEAD")) {
      callback.succeeded();
      return;
    }
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      Files.copy(file, out);
    } catch (IOException e) {
      callback.failed(e);
      return;
    }
    callback.succeeded();
  }

  private static void text(Response response, Callback callback, int status, String body) {
    FakePanda.reply(response, callback, status, "text/plain", body);
  }
}
