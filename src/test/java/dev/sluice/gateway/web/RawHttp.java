package dev.sluice.gateway.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 written byte by byte on a plain socket, for what no HTTP client sends: a Content-Type no parser takes,
 * a broken chunked body. On the test's own thread (blocking is fine there), one connection a request.
 */
final class RawHttp {

    private static final int TIMEOUT_MILLIS = 20_000;

    private RawHttp() {
    }

    /** A response as read until the server closed the connection or the declared length was read. */
    record Response(int status, String head, String body) {
    }

    /** Sends {@code head} (request line and headers, without the blank line) and {@code body} as they are. */
    static Response exchange(int port, String head, String body) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.getOutputStream().write((head + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            String text = readAll(socket.getInputStream());
            int headEnd = text.indexOf("\r\n\r\n");
            String responseHead = headEnd < 0 ? text : text.substring(0, headEnd);
            String responseBody = headEnd < 0 ? "" : text.substring(headEnd + 4);
            int status = Integer.parseInt(responseHead.substring(9, 12));
            return new Response(status, responseHead, responseBody);
        }
        catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    /** A JSON request with the given Content-Type header value, its length declared. */
    static Response json(int port, String method, String path, String contentType, String authorization, String json) {
        String auth = authorization == null ? "" : "\r\nAuthorization: Bearer " + authorization;
        return exchange(port, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + auth
                + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + json.getBytes(StandardCharsets.UTF_8).length, json);
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        try {
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        }
        catch (java.net.SocketException reset) {
            // the server closed after answering: what was read is the answer
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
