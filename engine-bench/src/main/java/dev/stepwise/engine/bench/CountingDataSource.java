package dev.stepwise.engine.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * A JDBC proxy that counts write transactions: executions of {@code COMMIT}/{@code END}
 * statements and {@code Connection.commit()} calls, on every connection of the wrapped
 * data source (the store's writer and its borrowed readers).
 */
final class CountingDataSource {
    final AtomicLong commits = new AtomicLong();
    final AtomicLong begins = new AtomicLong();
    final DataSource dataSource;

    CountingDataSource(DataSource target) {
        this.dataSource = proxy(DataSource.class, target, (p, m, a) -> {
            Object r = call(m, target, a);
            return r instanceof Connection c ? connection(c) : r;
        });
    }

    void reset() {
        commits.set(0);
        begins.set(0);
    }

    private Connection connection(Connection target) {
        return proxy(Connection.class, target, (p, m, a) -> {
            if (m.getName().equals("commit") && m.getParameterCount() == 0) {
                commits.incrementAndGet();
            }
            Object r = call(m, target, a);
            if (r instanceof PreparedStatement ps) {
                return proxy(PreparedStatement.class, ps, statementHandler(ps, a != null && a.length > 0 ? a[0] : null));
            }
            if (r instanceof Statement s) {
                return proxy(Statement.class, s, statementHandler(s, null));
            }
            return r;
        });
    }

    private InvocationHandler statementHandler(Statement target, Object preparedSql) {
        if (preparedSql instanceof String sql) {
            // a prepared statement: count when it is executed
            return (p, m, a) -> {
                if (m.getName().startsWith("execute") && (a == null || a.length == 0)) {
                    count(sql);
                }
                return call(m, target, a);
            };
        }
        return (p, m, a) -> {
            if (m.getName().startsWith("execute") && a != null && a.length > 0 && a[0] instanceof String sql) {
                count(sql);
            }
            return call(m, target, a);
        };
    }

    private void count(String sql) {
        String s = sql.strip().toUpperCase(Locale.ROOT);
        if (s.startsWith("COMMIT") || s.startsWith("END")) {
            commits.incrementAndGet();
        } else if (s.startsWith("BEGIN")) {
            begins.incrementAndGet();
        }
    }

    private static Object call(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> iface, Object target, InvocationHandler h) {
        return (T) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {iface}, h);
    }
}
