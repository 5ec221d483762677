package org.cernvm.copilot.jobmanager.generic;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The PostgreSQL server the tests use ({@code scripts/postgres-up} starts one on 127.0.0.1:15432;
 * {@code COPILOT_TEST_POSTGRES_URL} names another), each test in a schema of its own that it drops after.
 */
public final class TestPostgres implements AutoCloseable {
  static final String URL = System.getenv().getOrDefault("COPILOT_TEST_POSTGRES_URL",
      "jdbc:postgresql://127.0.0.1:15432/copilot");
  static final String USER = System.getenv().getOrDefault("COPILOT_TEST_POSTGRES_USER", "copilot");
  static final String PASSWORD = System.getenv().getOrDefault("COPILOT_TEST_POSTGRES_PASSWORD", "copilot");

  private final String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

  /** A new schema for one test. */
  public TestPostgres() throws SQLException {
    execute("CREATE SCHEMA " + schema);
  }

  /** Where a queue in this test's schema is, with {@code connections} connections at most. */
  public JobQueue.Location location(int connections) {
    return new JobQueue.Location(null, URL + "?currentSchema=" + schema, USER, PASSWORD, connections);
  }

  void execute(String sql) throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new SQLException("PostgreSQL at " + URL + " (start it with scripts/postgres-up; ./copilot test "
          + "does): " + e.getMessage(), e);
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(URL, USER, PASSWORD);
  }

  @Override
  public void close() throws SQLException {
    execute("DROP SCHEMA " + schema + " CASCADE");
  }
}
