package dev.sluice.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a free port in front of one service, that a test can cut (live connections closed, new ones
 * refused) and restore: an outage of the service without stopping it for everyone else. Plain sockets on
 * its own threads, never on an event loop.
 */
public final class CuttableProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean cut;
    private volatile long delayMillis;

    public CuttableProxy(String host, int port) throws IOException {
        this.target = new InetSocketAddress(host, port);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "cuttable-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections made through the proxy so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Closes every connection through the proxy and refuses new ones until {@link #restore}. */
    public void cut() {
        cut = true;
        for (Socket socket : live) {
            closeQuietly(socket);
        }
        live.clear();
    }

    public void restore() {
        cut = false;
    }

    /** Holds everything the service sends back for {@code delay} before passing it on: a slow service, still connected. */
    public void delay(java.time.Duration delay) {
        delayMillis = delay.toMillis();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                Socket upstream = new Socket();
                upstream.connect(target, 2_000);
                accepted.incrementAndGet();
                live.add(client);
                live.add(upstream);
                pump(client, upstream, false);
                pump(upstream, client, true);
            }
            catch (IOException closedOrRefused) {
                // the server socket closed, or the target refused this one connection
            }
        }
    }

    private void pump(Socket from, Socket to, boolean delayed) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    long delay = delayed ? delayMillis : 0;
                    if (delay > 0) {
                        Thread.sleep(delay); // the proxy's own thread: this is the latency it simulates
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
            catch (IOException closed) {
                // either side went away: close both below
            }
            catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
            finally {
                closeQuietly(from);
                closeQuietly(to);
                live.remove(from);
                live.remove(to);
            }
        }, "cuttable-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        }
        catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
        server.close();
    }
}
