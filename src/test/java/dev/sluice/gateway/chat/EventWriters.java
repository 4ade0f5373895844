package dev.sluice.gateway.chat;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import tools.jackson.databind.json.JsonMapper;

/** Events written as a stream writes them, read back as text: for the encoders' tests. */
public final class EventWriters {

    private EventWriters() {
    }

    public static String write(Consumer<EventWriter> events) {
        EventWriter out = new EventWriter(DefaultDataBufferFactory.sharedInstance, JsonMapper.builder().build());
        events.accept(out);
        DataBuffer written = out.take();
        return written == null ? "" : written.toString(StandardCharsets.UTF_8);
    }
}
