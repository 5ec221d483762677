package org.cernvm.copilot.agent;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cernvm.copilot.protocol.config.ConfigException;

/**
 * The CoPilot settings in a VM's user-data, in one of three forms: a {@code copilot:} mapping in a
 * cloud-init {@code #cloud-config} document (cloud-init ignores a top-level key it does not know), a
 * {@code [copilot]} section in CernVM-style INI contextualization, or plain {@code key=value} lines. Keys
 * are CoPilot settings ({@code xmpp.host}, {@code agent.slots}…); nested YAML mappings are joined with dots
 * and YAML lists with commas.
 */
public final class UserData {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private UserData() {}

  /**
   * The settings in {@code text}.
   *
   * @param origin where the text came from, for error messages
   * @throws ConfigException naming the line if the text is none of the three forms or has no CoPilot settings
   */
  public static Map<String, String> settings(String text, String origin) {
    String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
    t = t.replace("\r\n", "\n");
    String first = firstLine(t);
    if (first.startsWith("#cloud-config")) {
      return cloudConfig(t, origin);
    }
    if (first.startsWith("#!") || first.toLowerCase(Locale.ROOT).startsWith("content-type:")) {
      throw new ConfigException("the user-data from " + origin + " is a script or a MIME multi-part document; "
          + "CoPilot reads a #cloud-config document with a copilot: mapping, an INI [copilot] section, or "
          + "key=value lines");
    }
    if (first.startsWith("[")) {
      return iniSection(t, origin);
    }
    return lines(t, origin, 0, t.split("\n", -1).length);
  }

  private static String firstLine(String t) {
    for (String line : t.split("\n")) {
      String s = line.strip();
      if (!s.isEmpty() && !(s.startsWith("#") && !s.startsWith("#cloud-config") && !s.startsWith("#!"))
          && !s.startsWith(";")) {
        return s;
      }
    }
    return "";
  }

  private static Map<String, String> cloudConfig(String text, String origin) {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new ConfigException("the user-data from " + origin + " is not valid YAML"
          + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": "
          + e.getOriginalMessage());
    }
    JsonNode copilot = root == null ? null : root.get("copilot");
    if (copilot == null || !copilot.isObject() || copilot.isEmpty()) {
      throw new ConfigException("the #cloud-config user-data from " + origin + " has no copilot: mapping of settings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", copilot, out, origin);
    return out;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out, String origin) {
    node.fields().forEachRemaining(f -> {
      String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
      JsonNode v = f.getValue();
      if (v.isObject()) {
        flatten(key, v, out, origin);
      } else if (v.isArray()) {
        List<String> items = new ArrayList<>();
        for (JsonNode item : v) {
          if (item.isContainerNode()) {
            throw new ConfigException("the user-data from " + origin + " has a nested list or mapping in " + key);
          }
          items.add(item.asText());
        }
        out.put(key, String.join(",", items));
      } else if (!v.isNull()) {
        out.put(key, v.asText());
      }
    });
  }

  private static Map<String, String> iniSection(String text, String origin) {
    String[] all = text.split("\n", -1);
    int start = -1;
    int end = all.length;
    for (int i = 0; i < all.length; i++) {
      String s = all[i].strip();
      if (s.startsWith("[") && s.endsWith("]")) {
        if (start >= 0) {
          end = i;
          break;
        }
        if (s.substring(1, s.length() - 1).strip().equalsIgnoreCase("copilot")) {
          start = i + 1;
        }
      }
    }
    if (start < 0) {
      throw new ConfigException("the user-data from " + origin + " has no [copilot] section");
    }
    return lines(String.join("\n", all), origin, start, end);
  }

  /** The {@code key=value} lines from {@code from} to {@code to} (exclusive), numbered from 1 in errors. */
  private static Map<String, String> lines(String text, String origin, int from, int to) {
    String[] all = text.split("\n", -1);
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = from; i < to; i++) {
      String s = all[i].strip();
      if (s.isEmpty() || s.startsWith("#") || s.startsWith(";")) {
        continue;
      }
      int eq = s.indexOf('=');
      String key = eq < 0 ? "" : s.substring(0, eq).strip();
      if (key.isEmpty() || key.chars().anyMatch(Character::isWhitespace)) {
        throw new ConfigException("the user-data from " + origin + " has no key=value at line " + (i + 1));
      }
      out.put(key, s.substring(eq + 1).strip());
    }
    if (out.isEmpty()) {
      throw new ConfigException("the user-data from " + origin + " holds no CoPilot settings");
    }
    return out;
  }
}
