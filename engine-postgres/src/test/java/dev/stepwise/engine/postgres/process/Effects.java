package dev.stepwise.engine.postgres.process;

import dev.stepwise.engine.postgres.PgSchemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the children did: the step executions in their effects files, and rows counted in the schema. */
final class Effects {
    /** One execution: job, step, attempt and the pid of the process that ran it. */
    record Execution(String jobId, String stepKey, int attempt, long pid) {
        String step() {
            return jobId + " " + stepKey;
        }
    }

    private Effects() {
    }

    static List<Execution> read(List<Path> files) throws IOException {
        List<Execution> out = new ArrayList<>();
        for (Path f : files) {
            if (!Files.exists(f)) {
                continue;
            }
            for (String line : Files.readAllLines(f)) {
                String[] p = line.split(" ");
                if (p.length != 4) {
                    System.out.println("malformed effects line in " + f + ": [" + line + "]");
                }
                if (p.length == 4) { // a process killed mid-write may leave a partial last line
                    out.add(new Execution(p[0], p[1], Integer.parseInt(p[2]), Long.parseLong(p[3])));
                }
            }
        }
        return out;
    }

    /** @return per "job step", how many times it executed */
    static Map<String, Integer> perStep(List<Execution> executions) {
        Map<String, Integer> out = new HashMap<>();
        executions.forEach(e -> out.merge(e.step(), 1, Integer::sum));
        return out;
    }

    /** @return the number the query counts ({@code {schema}} replaced by the quoted schema) */
    static long count(String schema, String sql) throws SQLException {
        try (Connection c = PgSchemas.admin(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql.replace("{schema}", "\"" + schema + "\""))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** @return how many backends with this application name were terminated */
    static long terminate(String applicationName) throws SQLException {
        return count("", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE '"
                + applicationName + "%'");
    }
}
