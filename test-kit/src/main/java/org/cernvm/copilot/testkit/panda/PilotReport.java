package org.cernvm.copilot.testkit.panda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A pilot's final report of a finished job's files, the {@code xml} field of {@code updateJob} (the
 * {@code job_output_report} of the v1 API): JSON keyed by LFN, {@code {"LFN": {"guid", "fsize", "adler32" or
 * "md5sum", "surl", "endpoint"}}}, as pilot3 sends it and today's server reads it, or the PoolFileCatalog
 * XML older pilots sent and servers read until 2024.
 */
final class PilotReport {
  private PilotReport() {}

  /**
   * The files a report lists, or why it is refused.
   *
   * @param problem {@code null} when every required output is listed with its GUID, size and a checksum
   */
  record Result(List<PandaOutput> files, String problem) {
    static Result refused(String problem) {
      return new Result(List.of(), problem);
    }
  }

  /** Reads {@code report}; every LFN of {@code required} must be in it with a GUID, a size and a checksum. */
  static Result read(String report, List<String> required) {
    String text = report.strip();
    Result r;
    if (text.startsWith("{")) {
      r = json(text);
    } else if (text.startsWith("<")) {
      r = xml(text);
    } else {
      r = Result.refused("the output report is neither JSON nor PoolFileCatalog XML");
    }
    if (r.problem() != null) {
      return r;
    }
    Map<String, PandaOutput> byLfn = new LinkedHashMap<>();
    r.files().forEach(f -> byLfn.put(f.lfn(), f));
    for (String lfn : required) {
      PandaOutput f = byLfn.get(lfn);
      if (f == null || f.fsize() < 0 || f.guid().isEmpty() || !f.hasChecksum()) {
        return Result.refused("Could not get GUID/LFN/MD5/FSIZE/SURL from pilot JSON for output " + lfn);
      }
    }
    return r;
  }

  private static Result json(String text) {
    JsonNode root;
    try {
      root = PandaParams.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      return Result.refused("the output report is not valid JSON: " + e.getOriginalMessage());
    }
    List<PandaOutput> files = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      JsonNode f = e.getValue();
      if (!f.isObject()) {
        return Result.refused("the output report's entry for " + e.getKey() + " is not an object");
      }
      long size = f.path("fsize").isIntegralNumber() ? f.path("fsize").asLong()
          : PandaParams.parseLong(f.path("fsize").asText(""), -1);
      files.add(new PandaOutput(e.getKey(), f.path("guid").asText(""), size, f.path("adler32").asText(""),
          f.path("md5sum").asText(""), f.path("surl").asText(""), f.path("endpoint").asText("")));
    }
    return new Result(files, null);
  }

  private static Result xml(String text) {
    List<PandaOutput> files = new ArrayList<>();
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      f.setExpandEntityReferences(false);
      Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
      NodeList list = doc.getElementsByTagName("File");
      for (int i = 0; i < list.getLength(); i++) {
        Element file = (Element) list.item(i);
        Element lfn = (Element) file.getElementsByTagName("lfn").item(0);
        if (lfn == null) {
          return Result.refused("a File of the PoolFileCatalog has no lfn");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        NodeList ms = file.getElementsByTagName("metadata");
        for (int k = 0; k < ms.getLength(); k++) {
          Element e = (Element) ms.item(k);
          meta.put(e.getAttribute("att_name"), e.getAttribute("att_value"));
        }
        files.add(new PandaOutput(lfn.getAttribute("name"), file.getAttribute("ID"),
            PandaParams.parseLong(meta.get("fsize"), -1),
            meta.getOrDefault("adler32", ""), meta.getOrDefault("md5sum", ""), meta.getOrDefault("surl", ""), ""));
      }
    } catch (Exception e) {
      return Result.refused("cannot read the PoolFileCatalog: " + e.getMessage());
    }
    return new Result(files, null);
  }
}
