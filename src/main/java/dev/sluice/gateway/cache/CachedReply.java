package dev.sluice.gateway.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.sluice.gateway.llm.ChatChunk;
import dev.sluice.gateway.llm.FinishReason;

/**
 * A complete reply as it streamed: its chunks in order (text, tool-call fragments, the finish, usage), who made it
 * and when. Stored as compact bytes: a version, then one tagged record per chunk; no JSON, no field names.
 *
 * @param provider the {@code provider/model} that made it, or {@code null} if unknown
 */
record CachedReply(List<ChatChunk> chunks, String provider, long storedAtMillis) {

    private static final byte VERSION = 1;
    private static final byte TEXT = 'T';
    private static final byte TOOL_CALL = 'C';
    private static final byte FINISH = 'F';
    private static final byte USAGE = 'U';
    private static final FinishReason[] REASONS = FinishReason.values();

    CachedReply {
        chunks = List.copyOf(chunks);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 16 * chunks.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(storedAtMillis);
            writeText(out, provider);
            out.writeInt(chunks.size());
            for (ChatChunk chunk : chunks) {
                if (chunk instanceof ChatChunk.TextDelta text) {
                    out.writeByte(TEXT);
                    writeText(out, text.text());
                }
                else if (chunk instanceof ChatChunk.ToolCallDelta call) {
                    out.writeByte(TOOL_CALL);
                    out.writeInt(call.index());
                    writeText(out, call.id());
                    writeText(out, call.name());
                    writeText(out, call.argumentsDelta());
                }
                else if (chunk instanceof ChatChunk.Finish finish) {
                    out.writeByte(FINISH);
                    out.writeByte(finish.reason().ordinal());
                }
                else if (chunk instanceof ChatChunk.Usage usage) {
                    out.writeByte(USAGE);
                    out.writeInt(usage.promptTokens());
                    out.writeInt(usage.completionTokens());
                }
            }
        }
        catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return bytes.toByteArray();
    }

    /** The reply in {@code bytes}; {@link IllegalArgumentException} for bytes this version did not write. */
    static CachedReply decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readByte() != VERSION) {
                throw new IllegalArgumentException("not a cache entry of this version");
            }
            long storedAt = in.readLong();
            String provider = readText(in);
            int count = in.readInt();
            if (count < 0 || count > bytes.length) {
                throw new IllegalArgumentException("corrupt cache entry");
            }
            List<ChatChunk> chunks = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte type = in.readByte();
                if (type == TEXT) {
                    chunks.add(new ChatChunk.TextDelta(readText(in)));
                }
                else if (type == TOOL_CALL) {
                    chunks.add(new ChatChunk.ToolCallDelta(in.readInt(), readText(in), readText(in), readText(in)));
                }
                else if (type == FINISH) {
                    int reason = in.readByte();
                    if (reason < 0 || reason >= REASONS.length) {
                        throw new IllegalArgumentException("corrupt cache entry");
                    }
                    chunks.add(new ChatChunk.Finish(REASONS[reason]));
                }
                else if (type == USAGE) {
                    chunks.add(new ChatChunk.Usage(in.readInt(), in.readInt()));
                }
                else {
                    throw new IllegalArgumentException("corrupt cache entry");
                }
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("corrupt cache entry");
            }
            return new CachedReply(chunks, provider, storedAt);
        }
        catch (IOException truncated) {
            throw new IllegalArgumentException("truncated cache entry", truncated);
        }
    }

    private static void writeText(DataOutputStream out, String text) throws IOException {
        if (text == null) {
            out.writeInt(-1);
            return;
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readText(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > in.available()) {
            throw new IllegalArgumentException("corrupt cache entry");
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
