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
import dev.sluice.gateway.llm.JsonFields;

/**
 * A complete reply as it streamed: its chunks in order (text, tool-call fragments, extras, the finish, usage), who
 * made it and when. Stored as compact bytes: a version, then one tagged record per chunk; no JSON, no field names
 * but those of the extras. A finish with its stop sequence and usage with details have tags of their own, so that
 * entries without them read as before.
 *
 * @param provider the {@code provider/model} that made it, or {@code null} if unknown
 */
record CachedReply(List<ChatChunk> chunks, String provider, long storedAtMillis) {

    private static final byte VERSION = 1;
    private static final byte TEXT = 'T';
    private static final byte TOOL_CALL = 'C';
    private static final byte FINISH = 'F';
    private static final byte FINISH_AT_STOP = 'S';
    private static final byte USAGE = 'U';
    private static final byte USAGE_WITH_DETAILS = 'D';
    private static final byte EXTRA = 'X';
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
                    out.writeByte(finish.stopSequence() == null ? FINISH : FINISH_AT_STOP);
                    out.writeByte(finish.reason().ordinal());
                    if (finish.stopSequence() != null) {
                        writeText(out, finish.stopSequence());
                    }
                }
                else if (chunk instanceof ChatChunk.Usage usage) {
                    out.writeByte(usage.details().isEmpty() ? USAGE : USAGE_WITH_DETAILS);
                    out.writeInt(usage.promptTokens());
                    out.writeInt(usage.completionTokens());
                    if (!usage.details().isEmpty()) {
                        writeFields(out, usage.details());
                    }
                }
                else if (chunk instanceof ChatChunk.Extra extra) {
                    out.writeByte(EXTRA);
                    out.writeInt(extra.choice());
                    out.writeBoolean(extra.withNext());
                    writeFields(out, extra.reply());
                    writeFields(out, extra.choiceFields());
                    writeFields(out, extra.message());
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
                else if (type == FINISH || type == FINISH_AT_STOP) {
                    int reason = in.readByte();
                    if (reason < 0 || reason >= REASONS.length) {
                        throw new IllegalArgumentException("corrupt cache entry");
                    }
                    chunks.add(new ChatChunk.Finish(REASONS[reason], type == FINISH_AT_STOP ? readText(in) : null));
                }
                else if (type == USAGE || type == USAGE_WITH_DETAILS) {
                    chunks.add(new ChatChunk.Usage(in.readInt(), in.readInt(),
                            type == USAGE_WITH_DETAILS ? readFields(in) : JsonFields.EMPTY));
                }
                else if (type == EXTRA) {
                    int choice = in.readInt();
                    boolean withNext = in.readBoolean();
                    JsonFields reply = readFields(in);
                    JsonFields choiceFields = readFields(in);
                    chunks.add(new ChatChunk.Extra(choice, reply, choiceFields, readFields(in), withNext));
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

    private static void writeFields(DataOutputStream out, JsonFields fields) throws IOException {
        out.writeInt(fields.fields().size());
        for (JsonFields.Field field : fields.fields()) {
            writeText(out, field.name());
            writeText(out, field.json());
        }
    }

    private static JsonFields readFields(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > in.available()) {
            throw new IllegalArgumentException("corrupt cache entry");
        }
        JsonFields.Builder fields = new JsonFields.Builder();
        for (int i = 0; i < count; i++) {
            String name = readText(in);
            String json = readText(in);
            if (name == null || json == null) {
                throw new IllegalArgumentException("corrupt cache entry");
            }
            fields.add(name, json);
        }
        return fields.build();
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
