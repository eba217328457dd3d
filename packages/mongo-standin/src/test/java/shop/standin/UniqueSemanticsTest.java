package shop.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.UpdateOptions;
import java.nio.file.Path;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unique indexes (now ordered, so a prefix of one serves queries) keep MongoDB's semantics. */
class UniqueSemanticsTest {

    @TempDir
    Path dir;

    private static void assertDuplicate(String index, Executable write) {
        MongoWriteException error = assertThrows(MongoWriteException.class, write);
        assertEquals(11000, error.getCode());
        assertTrue(error.getMessage().contains("index: " + index), error.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAWriteWouldRepeatACompoundUniqueKeyThenItFailsWithE11000AndChangesNothing(String backend) throws Exception {
        StandinTestServer.with(backend, dir, client -> {
            MongoCollection<Document> stock = client.getDatabase("shop").getCollection("stock");
            stock.createIndex(new Document("productId", 1).append("warehouse", 1), new IndexOptions().name("product_warehouse_unique").unique(true));
            stock.insertOne(new Document("_id", 1).append("productId", "p").append("warehouse", "w1").append("quantity", 5));
            stock.insertOne(new Document("_id", 2).append("productId", "p").append("warehouse", "w2").append("quantity", 3));

            assertDuplicate("product_warehouse_unique", () -> stock.insertOne(new Document("_id", 3).append("productId", "p").append("warehouse", "w1")));
            assertDuplicate("product_warehouse_unique", () -> stock.updateOne(new Document("_id", 2), new Document("$set", new Document("warehouse", "w1"))));
            assertDuplicate("product_warehouse_unique", () -> stock.updateOne(new Document("productId", "p").append("warehouse", "w9").append("quantity", 99),
                new Document("$set", new Document("warehouse", "w1")), new UpdateOptions().upsert(true)));
            assertEquals("w2", stock.find(new Document("_id", 2)).first().getString("warehouse"));
            assertEquals(2, stock.countDocuments());

            // The same key for the same document is no conflict; a freed key can be taken again.
            stock.updateOne(new Document("_id", 1), new Document("$inc", new Document("quantity", -1)));
            stock.deleteOne(new Document("_id", 1));
            stock.insertOne(new Document("_id", 4).append("productId", "p").append("warehouse", "w1"));

            // A prefix of the unique index serves "every row of a product".
            Explain explain = Explain.find(client.getDatabase("shop"), "stock", new Document("productId", "p"), null, 0);
            assertEquals(List.of("product_warehouse_unique"), explain.indexes());
            assertEquals(2, explain.returned());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAUniqueIndexIsSparseThenDocumentsWithoutTheFieldDoNotCollide(String backend) throws Exception {
        StandinTestServer.with(backend, dir, client -> {
            MongoCollection<Document> users = client.getDatabase("shop").getCollection("users");
            users.createIndex(new Document("email", 1), new IndexOptions().name("email_unique").unique(true).sparse(true));
            users.insertOne(new Document("_id", 1));
            users.insertOne(new Document("_id", 2));
            users.insertOne(new Document("_id", 3).append("email", "a@x"));
            assertDuplicate("email_unique", () -> users.insertOne(new Document("_id", 4).append("email", "a@x")));

            MongoCollection<Document> skus = client.getDatabase("shop").getCollection("skus");
            skus.createIndex(new Document("sku", 1), new IndexOptions().name("sku_unique").unique(true));
            skus.insertOne(new Document("_id", 1));
            // Not sparse: a missing field is the key null, once.
            assertDuplicate("sku_unique", () -> skus.insertOne(new Document("_id", 2)));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAUniqueIndexCoversAnArrayThenEachElementIsAKeyOnce(String backend) throws Exception {
        StandinTestServer.with(backend, dir, client -> {
            MongoCollection<Document> codes = client.getDatabase("shop").getCollection("codes");
            codes.createIndex(new Document("codes", 1), new IndexOptions().name("codes_unique").unique(true));
            codes.insertOne(new Document("_id", 1).append("codes", List.of("a", "b", "a")));
            assertDuplicate("codes_unique", () -> codes.insertOne(new Document("_id", 2).append("codes", List.of("c", "b"))));
            codes.insertOne(new Document("_id", 3).append("codes", List.of("c")));
            assertEquals(3, codes.find(new Document("codes", "c")).first().getInteger("_id"));
        });
    }
}
