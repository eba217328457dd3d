package shop.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The persisted store stays near the size of its data however often documents were rewritten
 * (it is compacted, and compressed, when it opens),
 * and a server that only reads writes nothing to it.
 */
class H2StoreSizeTest {

    @TempDir
    Path dir;

    @Test
    void whenDocumentsWereRewrittenManyTimesThenTheReopenedStoreIsNearTheDataSizeAndReadsWriteNothing() throws Exception {
        Path file = dir.resolve("size.mv");
        long[] dataSize = new long[1];
        StandinTestServer.with(file.toString(), client -> {
            MongoCollection<Document> products = client.getDatabase("shop").getCollection("products");
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                docs.add(new Document("_id", i).append("name", "Product " + i).append("description", java.util.UUID.randomUUID() + " " + java.util.UUID.randomUUID() + " " + "x".repeat(200)).append("stock", 100));
            }
            products.insertMany(docs);
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 5000; i += 7) {
                    products.updateOne(new Document("_id", i), new Document("$inc", new Document("stock", -1)));
                }
                Thread.sleep(60);
            }
            dataSize[0] = client.getDatabase("shop").runCommand(new Document("collStats", "products")).get("size", Number.class).longValue();
        });
        long closedSize = Files.size(file);

        StandinTestServer.with(file.toString(), client -> {
            MongoDatabase db = client.getDatabase("shop");
            long reopened = Files.size(file);
            String sizes = "store " + reopened + " bytes for " + dataSize[0] + " bytes of documents (was " + closedSize + " when closed)";
            // Rewritten at open: smaller than the file it was, and within twice the documents' size.
            assertTrue(reopened < 0.8 * closedSize, sizes);
            assertTrue(reopened <= 2 * dataSize[0], sizes);
            Thread.sleep(1500);
            long size = Files.size(file);
            FileTime modified = Files.getLastModifiedTime(file);
            for (int i = 0; i < 200; i++) {
                db.getCollection("products").find(new Document("_id", i * 13 % 5000)).first();
            }
            Thread.sleep(2500);
            assertEquals(size, Files.size(file), "reads wrote to the store");
            assertEquals(modified, Files.getLastModifiedTime(file), "reads wrote to the store");
            assertEquals(80, db.getCollection("products").find(new Document("_id", 0)).first().getInteger("stock"), "20 decrements survived the restart");
            System.out.println("[H2StoreSizeTest] documents " + dataSize[0] + " B, store when closed " + closedSize + " B, after reopening " + reopened + " B");
        });
    }
}
