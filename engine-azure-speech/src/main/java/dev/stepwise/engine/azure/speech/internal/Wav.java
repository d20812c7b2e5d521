package dev.stepwise.engine.azure.speech.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A RIFF/WAVE file reduced to what joining needs: its {@code fmt } chunk (kept as bytes) and its
 * audio data. {@link #parse} reads one piece; {@link #join} writes several pieces of the same
 * format as one valid WAV with the RIFF and data sizes rewritten.
 */
public final class Wav {
    private final byte[] fmt;
    private final byte[] data;

    private Wav(byte[] fmt, byte[] data) {
        this.fmt = fmt;
        this.data = data;
    }

    /**
     * @param bytes a whole WAV file
     * @return its format and data
     * @throws IllegalArgumentException if it is not a RIFF/WAVE file with a PCM-like {@code fmt } and a
     *                                  {@code data} chunk (the message says what is wrong)
     */
    public static Wav parse(byte[] bytes) {
        if (bytes.length < 12 || !tag(bytes, 0).equals("RIFF") || !tag(bytes, 8).equals("WAVE")) {
            throw new IllegalArgumentException("not a WAV file: it does not start with RIFF....WAVE (" + bytes.length + " bytes)");
        }
        byte[] fmt = null;
        int at = 12;
        while (at + 8 <= bytes.length) {
            String id = tag(bytes, at);
            long size = Integer.toUnsignedLong(le32(bytes, at + 4));
            int body = at + 8;
            if (id.equals("data")) {
                if (fmt == null) {
                    throw new IllegalArgumentException("not a valid WAV file: its data chunk comes before a fmt chunk");
                }
                long available = bytes.length - body;
                long length = size == 0 || size > available ? available : size;
                int blockAlign = Math.max(1, le16(fmt, 12));
                length -= length % blockAlign;
                return new Wav(fmt, Arrays.copyOfRange(bytes, body, body + (int) length));
            }
            if (size > bytes.length - body) {
                throw new IllegalArgumentException("not a valid WAV file: chunk '" + id + "' claims " + size
                        + " bytes, past the end of the file");
            }
            if (id.equals("fmt ")) {
                if (size < 16) {
                    throw new IllegalArgumentException("not a valid WAV file: its fmt chunk has " + size + " bytes, fewer than 16");
                }
                fmt = Arrays.copyOfRange(bytes, body, body + (int) size);
            }
            at = body + (int) size + (int) (size & 1);
        }
        throw new IllegalArgumentException(fmt == null ? "not a valid WAV file: it has no fmt chunk"
                : "not a valid WAV file: it has no data chunk");
    }

    /**
     * @param pieces WAV pieces of one format, in order
     * @return one WAV file: the pieces' audio one after the other
     * @throws IllegalArgumentException if there are no pieces, or two differ in format (the message names both)
     */
    public static byte[] join(List<Wav> pieces) {
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("no WAV pieces to join");
        }
        Wav first = pieces.get(0);
        long dataLength = 0;
        for (int i = 0; i < pieces.size(); i++) {
            Wav w = pieces.get(i);
            if (!Arrays.equals(first.fmt, w.fmt)) {
                throw new IllegalArgumentException("WAV piece " + (i + 1) + " has format " + w.describe()
                        + ", piece 1 has " + first.describe() + "; pieces of different formats cannot be joined");
            }
            dataLength += w.data.length;
        }
        int fmtPad = first.fmt.length & 1;
        int dataPad = (int) (dataLength & 1);
        long riffSize = 4 + 8 + first.fmt.length + fmtPad + 8 + dataLength + dataPad;
        if (riffSize > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("the joined WAV would be " + riffSize + " bytes, more than a WAV file can hold (4 GiB)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, riffSize + 8));
        out.writeBytes("RIFF".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le32((int) riffSize));
        out.writeBytes("WAVE".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("fmt ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le32(first.fmt.length));
        out.writeBytes(first.fmt);
        if (fmtPad == 1) {
            out.write(0);
        }
        out.writeBytes("data".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le32((int) dataLength));
        for (Wav w : pieces) {
            out.writeBytes(w.data);
        }
        if (dataPad == 1) {
            out.write(0);
        }
        return out.toByteArray();
    }

    /** @return the format code (1 = PCM) */
    public int formatCode() {
        return le16(fmt, 0);
    }

    /** @return channels */
    public int channels() {
        return le16(fmt, 2);
    }

    /** @return samples per second */
    public int sampleRate() {
        return le32(fmt, 4);
    }

    /** @return bytes per second */
    public int byteRate() {
        return le32(fmt, 8);
    }

    /** @return bits per sample */
    public int bitsPerSample() {
        return le16(fmt, 14);
    }

    /** @return bytes of audio data */
    public int dataBytes() {
        return data.length;
    }

    /** @return the audio's duration in milliseconds (from the data size and the byte rate) */
    public long durationMillis() {
        return byteRate() <= 0 ? 0 : data.length * 1000L / byteRate();
    }

    /** @return e.g. {@code PCM 24000 Hz 16-bit 1 channel(s)} */
    public String describe() {
        return (formatCode() == 1 ? "PCM" : "format " + formatCode()) + " " + sampleRate() + " Hz " + bitsPerSample() + "-bit "
                + channels() + " channel(s)";
    }

    private static String tag(byte[] b, int at) {
        return new String(b, at, 4, StandardCharsets.US_ASCII);
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
