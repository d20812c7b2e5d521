package dev.stepwise.engine.core.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Greps bytes for a secret: files (every file under a folder), and texts. */
public final class LeakScan {
    private LeakScan() {
    }

    /** Captures what is written to {@code System.err} (where slf4j-simple logs) until closed. */
    public static final class CapturedErr implements AutoCloseable {
        private final PrintStream original = System.err;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        public CapturedErr() {
            System.setErr(new PrintStream(new TeeStream(bytes, original), true, StandardCharsets.UTF_8));
        }

        public byte[] bytes() {
            System.err.flush();
            return bytes.toByteArray();
        }

        @Override
        public void close() {
            System.setErr(original);
        }
    }

    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }

    /**
     * @param secret the secret
     * @param paths  files or folders (every regular file under them); must exist
     * @return how many files were scanned
     */
    public static int assertNotInFiles(String secret, Path... paths) throws IOException {
        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            assertTrue(Files.exists(p), "expected to scan " + p);
            try (Stream<Path> walk = Files.walk(p)) {
                walk.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        for (Path f : files) {
            if (indexOf(Files.readAllBytes(f), needle) >= 0) {
                fail("the secret appears in " + f);
            }
        }
        return files.size();
    }

    public static void assertNotIn(String secret, String what, byte[] bytes) {
        if (indexOf(bytes, secret.getBytes(StandardCharsets.UTF_8)) >= 0) {
            fail("the secret appears in " + what);
        }
    }

    public static void assertNotIn(String secret, String what, String text) {
        if (text != null && text.contains(secret)) {
            fail("the secret appears in " + what);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
