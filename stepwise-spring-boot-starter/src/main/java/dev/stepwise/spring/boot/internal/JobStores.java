package dev.stepwise.spring.boot.internal;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.spring.boot.StepwiseProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.ClassUtils;

/**
 * Opens the store that {@code stepwise.store} asks for: PostgreSQL on the application's
 * {@code DataSource}, or a SQLite file. Touches engine-postgres only through
 * {@link PostgresStores}, so it runs without that module on the classpath.
 */
public final class JobStores {
    private static final Logger LOG = LoggerFactory.getLogger(JobStores.class);
    private static final String POSTGRES_STORE = "dev.stepwise.engine.postgres.PostgresJobStore";
    private static final String POSTGRES_PRODUCT = "PostgreSQL";

    private JobStores() {
    }

    /**
     * @param properties the bound properties
     * @param dataSource the application's single {@code DataSource}, if it has one
     * @param loader     the application's class loader, which tells whether engine-postgres is present
     * @return the open (migrated) store
     * @throws IllegalStateException if {@code stepwise.store=postgres} cannot be honoured, or
     *                               {@code auto} cannot tell what the {@code DataSource} is
     */
    public static JobStore open(StepwiseProperties properties, Optional<DataSource> dataSource, ClassLoader loader) {
        boolean postgresModule = ClassUtils.isPresent(POSTGRES_STORE, loader);
        switch (properties.store()) {
            case SQLITE:
                return sqlite(properties.sqlite().path());
            case POSTGRES: {
                if (!postgresModule) {
                    throw new IllegalStateException("stepwise.store=postgres needs dev.stepwise:engine-postgres on the"
                            + " classpath; add it, or set stepwise.store=sqlite");
                }
                DataSource ds = dataSource.orElseThrow(() -> new IllegalStateException("stepwise.store=postgres needs the"
                        + " application's DataSource (one DataSource bean, e.g. from spring.datasource.url); none was found"));
                String product = productOf(ds);
                if (!POSTGRES_PRODUCT.equals(product)) {
                    throw new IllegalStateException("stepwise.store=postgres, but the application's DataSource is " + product
                            + ", not PostgreSQL; point spring.datasource.url at PostgreSQL, or set stepwise.store=sqlite");
                }
                return PostgresStores.open(ds, properties.postgres().schema());
            }
            case AUTO:
            default: {
                if (dataSource.isPresent() && postgresModule) {
                    String product = productOf(dataSource.get());
                    if (POSTGRES_PRODUCT.equals(product)) {
                        return PostgresStores.open(dataSource.get(), properties.postgres().schema());
                    }
                    LOG.info("stepwise.store=auto: the application's DataSource is {}, not PostgreSQL; using SQLite at {}",
                            product, properties.sqlite().path());
                }
                return sqlite(properties.sqlite().path());
            }
        }
    }

    private static JobStore sqlite(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("stepwise.sqlite.path: cannot create the folder " + parent + ": " + e.getMessage(), e);
        }
        return SqliteJobStore.builder(file).build();
    }

    private static String productOf(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            DatabaseMetaData meta = c.getMetaData();
            return meta.getDatabaseProductName();
        } catch (SQLException e) {
            throw new IllegalStateException("stepwise.store: cannot connect to the application's DataSource to tell"
                    + " whether it is PostgreSQL: " + e.getMessage() + "; fix spring.datasource.*, or set"
                    + " stepwise.store=sqlite", e);
        }
    }
}
