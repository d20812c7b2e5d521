package dev.stepwise.engine.core.internal;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Time-ordered ids (ULID layout): 48 bits of epoch milliseconds then 80 random bits, in
 * Crockford base32, 26 characters. Ids made by one generator are strictly increasing, also
 * within one millisecond, so sorting by id sorts by creation.
 */
public final class Ids {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private long hi; // 16 high random bits
    private long lo; // 64 low random bits

    /**
     * @param now the current time
     * @return a new id, greater than every id this generator made before
     */
    public synchronized String next(Instant now) {
        long millis = Math.max(now.toEpochMilli(), lastMillis);
        if (millis == lastMillis) {
            lo++;
            if (lo == 0) {
                hi = (hi + 1) & 0xFFFF;
                if (hi == 0) {
                    millis++;
                }
            }
        } else {
            hi = random.nextInt(1 << 16);
            lo = random.nextLong();
        }
        lastMillis = millis;
        char[] out = new char[26];
        // 10 chars of time (50 bits, top 2 zero)
        long t = millis;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (t & 31)];
            t >>>= 5;
        }
        // 16 chars of randomness: 80 bits = hi(16) + lo(64)
        long l = lo;
        long h = hi;
        for (int i = 25; i >= 10; i--) {
            out[i] = ALPHABET[(int) (l & 31)];
            l = (l >>> 5) | ((h & 31) << 59);
            h >>>= 5;
        }
        return new String(out);
    }
}
