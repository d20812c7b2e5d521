package dev.stepwise.engine.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.engine.sqlite.internal.NamedSql;
import dev.stepwise.engine.sqlite.internal.SqlFile;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlFileTest {

    @Test
    void namedParametersBecomePositionalOutsideQuotesAndComments() {
        NamedSql sql = NamedSql.parse("q", "SELECT ':no', x::text FROM t -- :neither\nWHERE a = :a AND b = :b OR a = :a");
        assertEquals("SELECT ':no', x::text FROM t -- :neither\nWHERE a = ? AND b = ? OR a = ?", sql.sql());
        assertEquals(List.of("a", "b", "a"), sql.params());
    }

    @Test
    void migrationScriptsSplitOnSemicolonAtEndOfLine() {
        String script = "-- header;\nCREATE TABLE a (x TEXT DEFAULT ';');\n\n-- comment\nCREATE INDEX i ON a (x);  \n-- trailing\n";
        assertEquals(List.of("CREATE TABLE a (x TEXT DEFAULT ';')", "-- comment\nCREATE INDEX i ON a (x)"),
                SqlFile.splitStatements(script));
    }

    @Test
    void shippedQueriesLoadAndUnknownNamesAreRejected() {
        SqlFile file = SqlFile.load("/dev/stepwise/engine/sqlite/queries.sql");
        assertEquals("BEGIN IMMEDIATE", file.get("begin_immediate").sql());
        assertThrows(IllegalArgumentException.class, () -> file.get("nope"));
    }
}
