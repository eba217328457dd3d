package shop.standin;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Starts mongo-java-server on a TCP port so Node's MongoDB driver can talk to it.
 *
 * Usage: java -jar mongo-standin.jar [--host 127.0.0.1] [--port 27017] [--file path.mv]
 * Without --file the data lives in memory; with it, in an H2 MVStore file that survives restarts.
 * Prints "READY <host>:<port>" on stdout once it accepts connections.
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

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 27017;
        String file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--file" -> file = args[++i];
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    System.exit(2);
                }
            }
        }

        MongoBackend backend = file == null ? new MemoryBackend() : new H2Backend(file);
        backend.version(REPORTED_VERSION);
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            stopped.countDown();
        }, "standin-shutdown"));

        System.out.println("READY " + host + ":" + port + (file == null ? " memory" : " h2:" + file));
        System.out.flush();
        stopped.await();
    }
}
