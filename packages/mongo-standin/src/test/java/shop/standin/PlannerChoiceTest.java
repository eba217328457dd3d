package shop.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which plan the stand-in picks for a query, and what it reads, through explain (executionStats):
 * on both backends, 1,000 products in 10 categories.
 */
class PlannerChoiceTest {

    @TempDir
    Path dir;

    private interface Body {
        void run(MongoDatabase db, MongoCollection<Document> products) throws Exception;
    }

    private void withProducts(String backend, Body body) throws Exception {
        StandinTestServer.with(backend, dir, client -> {
            MongoDatabase db = client.getDatabase("shop");
            MongoCollection<Document> products = db.getCollection("products");
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                docs.add(new Document("_id", i).append("sku", "S-" + i).append("cat", i % 10).append("price", i)
                    .append("tags", List.of("t" + (i % 7), "u" + (i % 3))).append("status", i % 2 == 0 ? "on" : "off"));
            }
            products.insertMany(docs);
            products.createIndex(new Document("sku", 1), new IndexOptions().name("sku_unique").unique(true));
            products.createIndex(new Document("cat", 1).append("price", -1), new IndexOptions().name("cat_price"));
            products.createIndex(new Document("tags", 1), new IndexOptions().name("tags"));
            products.createIndex(new Document("price", 1), new IndexOptions().name("price_of_expensive")
                .partialFilterExpression(new Document("cat", new Document("$gt", 5))));
            body.run(db, products);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAFilterPinsTheIndexPrefixThenOnlyMatchingKeysAreRead(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Explain explain = Explain.find(db, "products", new Document("cat", 3), null, 0);
            assertEquals(List.of("cat_price"), explain.indexes(), explain.toString());
            assertEquals(List.of("FETCH", "IXSCAN"), explain.stages());
            assertEquals(100, explain.keysExamined());
            assertEquals(100, explain.docsExamined());
            assertEquals(100, explain.returned());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAFilterAddsARangeOnTheNextFieldThenTheWalkStaysInsideIt(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Document filter = new Document("cat", 3).append("price", new Document("$gte", 503).append("$lt", 703));
            Explain explain = Explain.find(db, "products", filter, null, 0);
            assertEquals(List.of("cat_price"), explain.indexes());
            assertEquals(20, explain.keysExamined(), explain.toString());
            assertEquals(20, explain.returned());
            assertEquals(20, products.countDocuments(filter));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenTheIndexGivesTheSortThenALimitStopsTheWalkEarly(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Explain forward = Explain.find(db, "products", new Document("cat", 3), new Document("price", -1), 5);
            assertEquals(List.of("LIMIT", "FETCH", "IXSCAN"), forward.stages(), forward.toString());
            assertEquals(5, forward.keysExamined());
            assertEquals("forward", forward.indexScan().getString("direction"));
            List<Integer> prices = products.find(new Document("cat", 3)).sort(new Document("price", -1)).limit(5).map(d -> d.getInteger("price")).into(new ArrayList<>());
            assertEquals(List.of(993, 983, 973, 963, 953), prices);

            Explain backward = Explain.find(db, "products", new Document("cat", 3), new Document("price", 1), 5);
            assertEquals("backward", backward.indexScan().getString("direction"));
            assertEquals(5, backward.keysExamined());
            List<Integer> cheapest = products.find(new Document("cat", 3)).sort(new Document("price", 1)).limit(3).map(d -> d.getInteger("price")).into(new ArrayList<>());
            assertEquals(List.of(3, 13, 23), cheapest);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenNoIndexServesTheFilterThenTheCollectionIsScanned(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Explain explain = Explain.find(db, "products", new Document("status", "on"), null, 0);
            assertEquals(List.of("COLLSCAN"), explain.stages());
            assertEquals(0, explain.keysExamined());
            assertEquals(1000, explain.docsExamined());
            assertEquals(500, explain.returned());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAQueryImpliesAPartialFilterThenThePartialIndexServesIt(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Explain without = Explain.find(db, "products", new Document("price", new Document("$gte", 990)), null, 0);
            assertEquals(List.of("COLLSCAN"), without.stages(), "a query without the filter's condition must not use the partial index");
            assertEquals(10, without.returned());

            Document filter = new Document("cat", new Document("$gte", 7)).append("price", new Document("$gte", 990));
            Explain with = Explain.find(db, "products", filter, null, 0);
            assertEquals(List.of("price_of_expensive"), with.indexes(), with.toString());
            assertEquals(4, with.keysExamined(), "the index holds categories 6..9 only: prices 996..999 are >= 990");
            assertEquals(3, with.returned());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAnArrayFieldIsIndexedThenEachElementIsAKeyAndEachDocumentComesOnce(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Explain explain = Explain.find(db, "products", new Document("tags", new Document("$in", List.of("t2", "u1"))), null, 0);
            assertEquals(List.of("tags"), explain.indexes());
            assertTrue(explain.indexScan().getBoolean("isMultiKey"));
            long expected = 0;
            for (int i = 0; i < 1000; i++) {
                if (i % 7 == 2 || i % 3 == 1) {
                    expected++;
                }
            }
            assertEquals(expected, explain.returned());
            assertEquals(expected, products.countDocuments(new Document("tags", new Document("$in", List.of("t2", "u1")))));
            // A multikey index never gives a sort order: the plan sorts.
            Explain sorted = Explain.find(db, "products", new Document("tags", "t2"), new Document("tags", 1), 0);
            assertEquals(List.of("SORT", "FETCH", "IXSCAN"), sorted.stages(), sorted.toString());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAnOrHasAnIndexForEachBranchThenItReadsTheUnionOfThem(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Document filter = new Document("$or", List.of(new Document("_id", new Document("$in", List.of(1, 2))),
                new Document("sku", new Document("$in", List.of("S-2", "S-3")))));
            Explain explain = Explain.find(db, "products", filter, null, 0);
            assertEquals("OR", explain.stages().get(1), explain.toString());
            assertEquals(List.of("_id_", "sku_unique"), explain.indexes());
            assertEquals(3, explain.returned());
            assertEquals(3, explain.docsExamined());

            // An order by product ids only sends an empty list of SKUs: that branch reads nothing.
            Document idsOnly = new Document("$or", List.of(new Document("_id", new Document("$in", List.of(1, 2))),
                new Document("sku", new Document("$in", List.of()))));
            Explain empty = Explain.find(db, "products", idsOnly, null, 0);
            assertEquals(List.of("_id_", "sku_unique"), empty.indexes(), empty.toString());
            assertEquals(2, empty.docsExamined());
            assertEquals(2, empty.returned());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenTheFilterPinsTheIdAmongOtherConditionsThenTheIdIndexServesIt(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Explain explain = Explain.find(db, "products", new Document("_id", 42).append("status", new Document("$in", List.of("on", "x"))), null, 0);
            assertEquals(List.of("_id_"), explain.indexes());
            assertEquals(1, explain.keysExamined());
            assertEquals(1, explain.returned());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenWritesAndCountsAreExplainedThenTheyShowTheIndexAndWriteNothing(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            Explain count = Explain.of(db, new Document("count", "products").append("query", new Document("cat", 4)));
            assertEquals(List.of("COUNT", "FETCH", "IXSCAN"), count.stages());
            assertEquals(100, count.keysExamined());

            Document update = new Document("q", new Document("cat", 4).append("price", new Document("$gte", 900))).append("u", new Document("$inc", new Document("price", 1)));
            Explain updateExplain = Explain.of(db, new Document("update", "products").append("updates", List.of(update)));
            assertEquals(List.of("UPDATE", "LIMIT", "FETCH", "IXSCAN"), updateExplain.stages(), updateExplain.toString());
            assertEquals(List.of("cat_price"), updateExplain.indexes());

            Explain findAndModify = Explain.of(db, new Document("findAndModify", "products").append("query", new Document("cat", 5))
                .append("sort", new Document("price", -1)).append("update", new Document("$set", new Document("price", 0))));
            assertEquals(List.of("UPDATE", "LIMIT", "FETCH", "IXSCAN"), findAndModify.stages());
            assertEquals(1, findAndModify.keysExamined());

            Explain delete = Explain.of(db, new Document("delete", "products").append("deletes", List.of(new Document("q", new Document("sku", "S-7")).append("limit", 1))));
            assertEquals(List.of("sku_unique"), delete.indexes());

            assertEquals(1000, products.countDocuments(), "explain runs no write");
            assertEquals(995, products.find(new Document("_id", 995)).first().getInteger("price"));
            assertEquals(5, products.find(new Document("cat", 5)).sort(new Document("price", 1)).first().getInteger("price"));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenAPipelineStartsWithAMatchThenItIsReadThroughAnIndex(String backend) throws Exception {
        withProducts(backend, (db, products) -> {
            List<Document> pipeline = List.of(new Document("$match", new Document("cat", new Document("$in", List.of(1, 2)))),
                new Document("$group", new Document("_id", "$cat").append("total", new Document("$sum", "$price"))),
                new Document("$sort", new Document("_id", 1)));
            List<Document> totals = products.aggregate(pipeline).into(new ArrayList<>());
            assertEquals(List.of(new Document("_id", 1).append("total", 49600), new Document("_id", 2).append("total", 49700)), totals);

            Explain explain = Explain.of(db, new Document("aggregate", "products").append("pipeline", pipeline).append("cursor", new Document()));
            assertEquals(List.of("cat_price"), explain.indexes());
            assertEquals(200, explain.keysExamined());
            assertFalse(explain.response.getList("stages", Document.class).isEmpty());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenQueriesReachPastWhatAnIndexHoldsThenTheyStillFindEveryDocument(String backend) throws Exception {
        StandinTestServer.with(backend, dir, client -> {
            MongoDatabase db = client.getDatabase("shop");
            // An $or inside $and is matched, not planned (it used to recurse without end).
            MongoCollection<Document> plain = db.getCollection("plain");
            plain.insertMany(List.of(new Document("_id", 1).append("s", "a"), new Document("_id", 2).append("s", "b"), new Document("_id", 3).append("s", "c")));
            Document nested = new Document("$and", List.of(new Document("$or", List.of(new Document("s", "a"), new Document("s", "b")))));
            assertEquals(2, plain.countDocuments(nested));

            // A sparse index never gives a sort: documents without the field would be lost.
            MongoCollection<Document> sparse = db.getCollection("sparse");
            sparse.createIndex(new Document("a", 1), new IndexOptions().name("a_sparse").sparse(true));
            sparse.insertMany(List.of(new Document("_id", 1), new Document("_id", 2).append("a", 1)));
            assertEquals(2, sparse.find().sort(new Document("a", 1)).into(new ArrayList<>()).size());

            // An empty array in a compound index's second field keeps the document findable by the first.
            MongoCollection<Document> orders = db.getCollection("orders");
            orders.createIndex(new Document("customerId", 1).append("lines.sku", 1), new IndexOptions().name("customer_sku"));
            orders.insertMany(List.of(new Document("_id", 1).append("customerId", "c").append("lines", List.of()),
                new Document("_id", 2).append("customerId", "c").append("lines", List.of(new Document("sku", "A").append("qty", 1), new Document("sku", "B").append("qty", 2)))));
            assertEquals(2, orders.countDocuments(new Document("customerId", "c")));
            // Two fields of one array element can be met by different elements: both bounds would miss it.
            orders.createIndex(new Document("lines.sku", 1).append("lines.qty", 1), new IndexOptions().name("sku_qty"));
            assertEquals(1, orders.countDocuments(new Document("lines.sku", "A").append("lines.qty", 2)));

            // createIndex on a new collection keeps its partial filter (the collection is created on the way).
            MongoCollection<Document> users = db.getCollection("users");
            users.createIndex(new Document("email", 1), new IndexOptions().name("email_unique").unique(true)
                .partialFilterExpression(new Document("email", new Document("$exists", true))));
            users.insertOne(new Document("_id", 1));
            users.insertOne(new Document("_id", 2));
            assertEquals(2, users.countDocuments());
        });
    }
}
