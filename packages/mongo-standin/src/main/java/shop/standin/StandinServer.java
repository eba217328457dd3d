package shop.standin;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import shop.standin.backend.h2.StandinH2Backend;
import shop.standin.backend.memory.StandinMemoryBackend;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Starts mongo-java-server on a TCP port so Node's MongoDB driver can talk to it.
 *
 * Usage: java -jar mongo-standin.jar [--host 127.0.0.1] [--port 27017] [--file path.mv]
 * Without --file the data lives in memory; with it, in an H2 MVStore file that survives restarts.
 * Prints "READY <host>:<port> pid <pid> …" on stdout once it accepts connections, then closes stdout.
 * On any startup failure (e.g. the port is taken) prints "FAILED <reason>" on stdout and exits 1.
 */
public final class StandinServer {

    /** Reports MongoDB 4.4 (wire version 9): the minimum the mongodb 7 driver in mongoose 9 accepts. */
    static final MongoVersion REPORTED_VERSION = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    private StandinServer() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable error) {
            // Any startup failure must end the JVM: Netty's non-daemon threads would otherwise keep it
            // alive, and whoever started it could mistake it for a running server.
            fail("startup failed: " + error);
        }
    }

    /** Reports a startup failure on stdout (where the launcher waits for READY) and on stderr, then exits 1. */
    private static void fail(String message) {
        System.out.println("FAILED " + message);
        System.out.flush();
        System.err.println("mongo-standin: " + message);
        System.err.flush();
        System.exit(1);
    }

    /** The backend the server runs: in memory, or persisted in an H2 MVStore file; reporting REPORTED_VERSION. */
    static MongoBackend backend(String file) {
        MongoBackend backend = file == null ? new StandinMemoryBackend() : new StandinH2Backend(file);
        backend.version(REPORTED_VERSION);
        return backend;
    }

    private static void run(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 27017;
        String file = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.equals("--host") && !arg.equals("--port") && !arg.equals("--file")) {
                System.err.println("unknown argument: " + arg);
                System.exit(2);
            }
            if (i + 1 >= args.length) {
                System.err.println("missing value for " + arg);
                System.exit(2);
            }
            String value = args[++i];
            switch (arg) {
                case "--host" -> host = value;
                case "--port" -> port = Integer.parseInt(value);
                default -> file = value;
            }
        }

        MongoServer server = new MongoServer(backend(file));
        try {
            server.bind(host, port);
        } catch (Throwable error) {
            // Typically java.net.BindException (port in use), which mongo-java-server rethrows unchecked.
            fail("cannot listen on " + host + ":" + port + ": " + error);
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdown();
            } catch (Throwable error) {
                // e.g. NoClassDefFoundError when the jar was rebuilt under this running server
                System.err.println("mongo-standin: shutdown: " + error);
            } finally {
                stopped.countDown();
            }
        }, "standin-shutdown"));

        System.out.println("READY " + host + ":" + port + " pid " + ProcessHandle.current().pid()
                + (file == null ? " memory" : " h2:" + file));
        System.out.flush();
        // The launcher reads stdout only until READY. Close it so a detached server never writes to
        // a pipe nobody reads any more (it would block or fail); anything later goes to stderr.
        System.out.close();
        System.setOut(System.err);
        stopped.await();
    }
}
