package shop.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many clients reserving stock at once, as the order service does (a conditional decrement found
 * through an index), while another client creates an index: no unit is sold twice, no row goes
 * below zero, and every index still agrees with the data afterwards.
 */
class ConcurrentWritersTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenWritersRaceOnIndexedRowsThenNothingIsOversoldAndIndexesMatchTheData(String backend) throws Exception {
        StandinTestServer.with(backend, dir, client -> {
            MongoCollection<Document> stock = client.getDatabase("shop").getCollection("stock");
            stock.createIndex(new Document("productId", 1).append("quantity", -1), new IndexOptions().name("product_available")
                .partialFilterExpression(new Document("quantity", new Document("$gt", 0))));
            List<Document> rows = new ArrayList<>();
            for (int p = 0; p < 10; p++) {
                for (int w = 0; w < 3; w++) {
                    rows.add(new Document("productId", "p" + p).append("warehouse", "w" + w).append("quantity", 20));
                }
            }
            stock.insertMany(rows);

            AtomicInteger sold = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(9);
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        String product = "p" + ((thread + i) % 10);
                        Document row = stock.findOneAndUpdate(
                            new Document("productId", product).append("quantity", new Document("$gte", 1)),
                            new Document("$inc", new Document("quantity", -1)),
                            new FindOneAndUpdateOptions().sort(new Document("quantity", -1)));
                        if (row != null) {
                            sold.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            work.add(pool.submit(() -> {
                stock.createIndex(new Document("warehouse", 1), new IndexOptions().name("warehouse"));
                return null;
            }));
            for (Future<?> future : work) {
                future.get();
            }
            pool.shutdown();

            assertEquals(600, sold.get(), "600 units existed and 800 were asked for");
            for (Document row : stock.find()) {
                assertEquals(0, row.getInteger("quantity"), row.toJson());
            }
            // Every row left the partial index when it reached 0; the late index holds every row.
            Explain available = Explain.find(client.getDatabase("shop"), "stock",
                new Document("productId", "p3").append("quantity", new Document("$gte", 1)), null, 0);
            assertEquals(List.of("product_available"), available.indexes());
            assertEquals(0, available.keysExamined());
            Explain byWarehouse = Explain.find(client.getDatabase("shop"), "stock", new Document("warehouse", "w1"), null, 0);
            assertEquals(List.of("warehouse"), byWarehouse.indexes());
            assertEquals(10, byWarehouse.returned());
            assertTrue(byWarehouse.keysExamined() == 10);
        });
    }
}
