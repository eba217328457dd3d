package shop.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.BsonBinarySubType;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Code;
import org.bson.types.Decimal128;
import org.bson.types.MaxKey;
import org.bson.types.MinKey;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Documents are stored as BSON (decision 0002): every BSON type, under every kind of _id, comes back
 * as written after the store is closed, compacted and reopened; and a store written by upstream's H2
 * backend (Java serialization) opens, reads and updates as it was, and reads the same once rewritten.
 */
class H2BsonStoreTest {

    @TempDir
    Path dir;

    /** One document holding every BSON type the driver sends. */
    private static Document everyType(Object id) {
        return new Document("_id", id)
            .append("string", "héllo wörld")
            .append("int32", 42)
            .append("int64", 1L << 40)
            .append("double", -0.5)
            .append("decimal", Decimal128.parse("12345.6789"))
            .append("bool", true)
            .append("null", null)
            .append("date", new Date(1_700_000_000_123L))
            .append("nested", new Document("a", new Document("b", List.of(1, "two", 3.0))))
            .append("array", List.of(new Document("x", 1), List.of(), "s"))
            .append("binary", new Binary(new byte[] {1, 2, 3}))
            .append("uuid", new Binary(BsonBinarySubType.UUID_STANDARD, new byte[16]))
            .append("regex", java.util.regex.Pattern.compile("^ab.*c$", java.util.regex.Pattern.CASE_INSENSITIVE))
            .append("timestamp", new BsonTimestamp(1_700_000_000, 7))
            .append("min", new MinKey())
            .append("max", new MaxKey())
            .append("code", new Code("function () { return 1; }"));
    }

    private static List<Object> ids() {
        return List.of(new ObjectId("65a1b2c3d4e5f60718293a4b"), "sku-1", 7, 8L, 9.5, new Document("order", "o1").append("line", 2), new Binary(BsonBinarySubType.UUID_STANDARD, new byte[] {13, 77, 124, 7, 63, 94, 74, 67, -102, -114, 59, 63, 27, 14, 44, 17}));
    }

    private static List<Document> read(MongoClient client) {
        return client.getDatabase("shop").getCollection("things").find().into(new ArrayList<>());
    }

    @Test
    void whenTheStoreIsReopenedThenEveryBsonTypeUnderEveryKindOfIdReadsAsWritten() throws Exception {
        String file = dir.resolve("types.mv").toString();
        List<Document> written = new ArrayList<>();
        ids().forEach(id -> written.add(everyType(id)));
        List<Document>[] before = new List[1];
        StandinTestServer.with(file, client -> {
            client.getDatabase("shop").getCollection("things").insertMany(written);
            before[0] = read(client);
        });
        // On disk it is not H2's own format: read with H2's default types, the documents fail.
        MVStore raw = new MVStore.Builder().fileName(file).readOnly().open();
        try {
            assertThrows(RuntimeException.class, () -> {
                MVMap<Object, Object> things = raw.openMap("databases.shop.things");
                things.get(things.firstKey());
            });
        } finally {
            raw.close();
        }
        for (int reopen = 0; reopen < 2; reopen++) {
            StandinTestServer.with(file, client -> {
                assertEquals(before[0], read(client));
                for (Object id : ids()) {
                    assertEquals(1, client.getDatabase("shop").getCollection("things").countDocuments(new Document("_id", id)), "_id " + id);
                }
            });
        }
    }

    @Test
    void whenAStoreWasWrittenByUpstreamsBackendThenItOpensReadsAndUpdatesAsBefore() throws Exception {
        String file = dir.resolve("legacy.mv").toString();
        List<Document>[] before = new List[1];
        // Upstream's own H2 backend, as the store was written before the stand-in's formats.
        StandinTestServer.with(new H2Backend(file), client -> {
            MongoCollection<Document> things = client.getDatabase("shop").getCollection("things");
            for (Object id : ids()) {
                things.insertOne(everyType(id));
            }
            for (int i = 0; i < 500; i++) {
                things.insertOne(new Document("_id", "filler-" + i).append("n", i));
            }
            before[0] = read(client);
        });
        StandinTestServer.with(file, client -> {
            MongoCollection<Document> things = client.getDatabase("shop").getCollection("things");
            assertEquals(before[0], read(client));
            things.updateOne(new Document("_id", 7), new Document("$set", new Document("int32", 43)));
            things.insertOne(new Document("_id", "new").append("n", -1));
            things.deleteOne(new Document("_id", "filler-3"));
        });
        StandinTestServer.with(file, client -> {
            MongoCollection<Document> things = client.getDatabase("shop").getCollection("things");
            assertEquals(43, things.find(new Document("_id", 7)).first().getInteger("int32"));
            assertEquals(-1, things.find(new Document("_id", "new")).first().getInteger("n"));
            assertEquals(before[0].size(), things.countDocuments());
            assertEquals(0, things.countDocuments(new Document("_id", "filler-3")));
            for (Object id : ids()) {
                Document expected = before[0].stream().filter(d -> d.get("_id").equals(id)).findFirst().orElseThrow();
                if (!id.equals(7)) {
                    assertEquals(expected, things.find(new Document("_id", id)).first(), "_id " + id);
                }
            }
        });
    }
}
