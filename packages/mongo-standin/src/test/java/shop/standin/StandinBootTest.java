package shop.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stand-in as the services meet it: through the wire protocol, with the real Java driver. */
class StandinBootTest {

    private static void withServer(String file, StandinTestServer.Body body) throws Exception {
        StandinTestServer.with(file, body);
    }

    @Test
    void whenTheDriverConnectsThenItAnswersPingAndReportsTheVersionItSupports() throws Exception {
        withServer(null, client -> {
            Document ping = client.getDatabase("admin").runCommand(new Document("ping", 1));
            assertEquals(1.0, ping.get("ok", Number.class).doubleValue());
            Document build = client.getDatabase("admin").runCommand(new Document("buildInfo", 1));
            assertEquals("4.4.0", build.getString("version"));
        });
    }

    @Test
    void whenDocumentsAreWrittenThenAFilteredSortedReadReturnsThem() throws Exception {
        withServer(null, client -> {
            MongoCollection<Document> products = client.getDatabase("shop").getCollection("products");
            products.insertMany(List.of(new Document("_id", "a").append("price", 3), new Document("_id", "b").append("price", 1), new Document("_id", "c").append("price", 2)));
            List<Object> ids = products.find(new Document("price", new Document("$gte", 2))).sort(new Document("price", 1)).map(d -> d.get("_id")).into(new java.util.ArrayList<>());
            assertEquals(List.of("c", "a"), ids);
        });
    }

    @Test
    void whenTheStoreIsAFileThenWhatWasWrittenIsThereAfterARestart(@TempDir Path dir) throws Exception {
        String file = dir.resolve("standin.mv").toString();
        withServer(file, client -> client.getDatabase("shop").getCollection("orders").insertOne(new Document("_id", "o1").append("total", 42)));
        withServer(file, client -> assertEquals(42, client.getDatabase("shop").getCollection("orders").find(new Document("_id", "o1")).first().getInteger("total")));
        assertEquals(true, Files.size(Path.of(file)) > 0);
    }
}
