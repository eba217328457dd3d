package shop.standin;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/** A stand-in on a free port, reached through the wire protocol with the real Java driver. */
final class StandinTestServer {

    interface Body {
        void run(MongoClient client) throws Exception;
    }

    private StandinTestServer() {
    }

    /** Runs body against a stand-in of the named backend: "memory", or "h2" with its file in dir. */
    static void with(String backend, Path dir, Body body) throws Exception {
        with(backend.equals("h2") ? dir.resolve("standin.mv").toString() : null, body);
    }

    /** Runs body against a stand-in with the given backend file (null: in memory). */
    static void with(String file, Body body) throws Exception {
        with(StandinServer.backend(file), body);
    }

    /** Runs body against a server on the given backend (a test may pass upstream's own). */
    static void with(MongoBackend backend, Body body) throws Exception {
        MongoServer server = new MongoServer(backend);
        InetSocketAddress address = server.bind();
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + address.getPort())) {
            body.run(client);
        } finally {
            server.shutdown();
        }
    }
}
