package org.cernvm.copilot.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Self-signed test certificates made with the JDK's keytool: a PKCS#12 key store and its certificate as PEM. */
public final class Keytool {
  public static final String PASSWORD = "changeit";

  private Keytool() {}

  /** Creates {@code name.p12} and {@code name.pem} in {@code dir} for subject {@code CN=cn}, valid for 127.0.0.1. */
  public static Path pair(Path dir, String name, String cn) throws Exception {
    Path ks = dir.resolve(name + ".p12");
    run("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
        "-storepass", PASSWORD, "-keypass", PASSWORD);
    run("-exportcert", "-rfc", "-alias", name, "-keystore", ks.toString(), "-storepass", PASSWORD,
        "-file", dir.resolve(name + ".pem").toString());
    return ks;
  }

  private static void run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
  }
}
