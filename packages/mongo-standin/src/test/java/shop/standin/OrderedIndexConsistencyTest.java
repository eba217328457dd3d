package shop.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.bson.Document;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Indexes stay equal to the data through random inserts, updates (including array pushes and
 * unsets) and deletes: every query answered through an index returns what a scan of a model of the
 * data says it must. Compound with a descending field, multikey, sparse and partial indexes.
 */
class OrderedIndexConsistencyTest {

    @TempDir
    Path dir;

    /** The model: what each document holds. */
    private record Row(int id, Integer a, int b, List<String> tags, Integer s) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "h2"})
    void whenDocumentsChangeAtRandomThenEveryIndexedQueryMatchesAScanOfTheModel(String backend) throws Exception {
        StandinTestServer.with(backend, dir, client -> {
            MongoDatabase db = client.getDatabase("shop");
            MongoCollection<Document> items = db.getCollection("items");
            items.createIndex(new Document("a", 1).append("b", -1), new IndexOptions().name("a_b"));
            items.createIndex(new Document("tags", 1), new IndexOptions().name("tags"));
            items.createIndex(new Document("s", 1), new IndexOptions().name("s_sparse").sparse(true));
            items.createIndex(new Document("b", 1), new IndexOptions().name("b_when_s").partialFilterExpression(new Document("s", new Document("$exists", true))));

            Random random = new Random(24);
            Map<Integer, Row> model = new HashMap<>();
            int nextId = 0;
            for (int step = 0; step < 3000; step++) {
                int op = random.nextInt(10);
                if (op < 5 || model.isEmpty()) {
                    Row row = new Row(nextId++, random.nextInt(12) == 0 ? null : random.nextInt(10), random.nextInt(100), randomTags(random), random.nextBoolean() ? random.nextInt(5) : null);
                    items.insertOne(toDocument(row));
                    model.put(row.id, row);
                } else {
                    Row row = model.values().stream().skip(random.nextInt(model.size())).findFirst().orElseThrow();
                    if (op < 7) {
                        int a = random.nextInt(10);
                        int b = random.nextInt(100);
                        items.updateOne(new Document("_id", row.id), new Document("$set", new Document("a", a).append("b", b)));
                        model.put(row.id, new Row(row.id, a, b, row.tags, row.s));
                    } else if (op < 8) {
                        String tag = "t" + random.nextInt(6);
                        items.updateOne(new Document("_id", row.id), new Document("$push", new Document("tags", tag)).append("$unset", new Document("s", "")));
                        List<String> tags = new ArrayList<>(row.tags);
                        tags.add(tag);
                        model.put(row.id, new Row(row.id, row.a, row.b, tags, null));
                    } else {
                        items.deleteOne(new Document("_id", row.id));
                        model.remove(row.id);
                    }
                }
                if (step % 500 == 499) {
                    check(db, items, model, random);
                }
            }
        });
    }

    private static List<String> randomTags(Random random) {
        List<String> tags = new ArrayList<>();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            tags.add("t" + random.nextInt(6));
        }
        return tags;
    }

    private static Document toDocument(Row row) {
        Document document = new Document("_id", row.id).append("b", row.b).append("tags", row.tags);
        if (row.a != null) {
            document.append("a", row.a);
        }
        if (row.s != null) {
            document.append("s", row.s);
        }
        return document;
    }

    private static void check(MongoDatabase db, MongoCollection<Document> items, Map<Integer, Row> model, Random random) {
        int a = random.nextInt(10);
        int b = random.nextInt(100);
        String tag = "t" + random.nextInt(6);
        int s = random.nextInt(5);
        expect(db, items, model, "a_b", new Document("a", a), r -> r.a != null && r.a == a);
        expect(db, items, model, "a_b", new Document("a", a).append("b", new Document("$gte", b)), r -> r.a != null && r.a == a && r.b >= b);
        expect(db, items, model, "tags", new Document("tags", tag), r -> r.tags.contains(tag));
        expect(db, items, model, "s_sparse", new Document("s", s), r -> r.s != null && r.s == s);
        expect(db, items, model, "b_when_s", new Document("s", new Document("$exists", true)).append("b", new Document("$lt", b)), r -> r.s != null && r.b < b);
        expect(db, items, model, "a_b", new Document("a", new Document("$gt", 6)).append("b", new Document("$lt", b)), r -> r.a != null && r.a > 6 && r.b < b);

        // The index's order: the three highest b among documents with this a.
        List<Integer> top = items.find(new Document("a", a)).sort(new Document("b", -1)).limit(3).map(d -> d.getInteger("b")).into(new ArrayList<>());
        List<Integer> expected = model.values().stream().filter(r -> r.a != null && r.a == a).map(Row::b).sorted(Comparator.reverseOrder()).limit(3).toList();
        assertEquals(expected, top);
    }

    private static void expect(MongoDatabase db, MongoCollection<Document> items, Map<Integer, Row> model, String index, Document filter, Predicate<Row> matches) {
        Explain explain = Explain.find(db, "items", filter, null, 0);
        assertEquals(List.of(index), explain.indexes(), explain.toString());
        List<Integer> found = items.find(filter).map(d -> d.getInteger("_id")).into(new ArrayList<>());
        List<Integer> sortedFound = found.stream().sorted().toList();
        assertEquals(found.size(), sortedFound.stream().distinct().count(), "each document once: " + filter.toJson());
        List<Integer> expected = model.values().stream().filter(matches).map(Row::id).sorted().toList();
        assertEquals(expected, sortedFound, filter.toJson());
        assertFalse(explain.keysExamined() < expected.size());
    }
}
