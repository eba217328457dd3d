package shop.standin.backend.h2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.DataType;
import org.junit.jupiter.api.Test;

/** The stored bytes: BSON behind its marker, and H2's own format for what BSON cannot hold. */
class BsonStoreTypesTest {

    private static <T> ByteBuffer written(DataType<T> type, List<T> values) {
        WriteBuffer out = new WriteBuffer();
        for (T value : values) {
            type.write(out, value);
        }
        return out.getBuffer().flip();
    }

    @Test
    void whenADocumentIsStoredThenItIsBsonAndReadsBackEqual() {
        Document document = new Document("_id", new ObjectId()).append("n", 1).append("l", 2L).append("d", 0.25)
            .append("dec", Decimal128.ONE).append("at", Instant.ofEpochMilli(1_700_000_000_000L)).append("bin", new BinData(new byte[] {9}))
            .append("ts", new BsonTimestamp(5L)).append("list", List.of(new Document("a", null), "b")).append("nested", new Document("x", true));
        Document second = new Document("_id", "two");
        ByteBuffer bytes = written(BsonStoreTypes.Documents.INSTANCE, List.of(document, second));
        assertEquals(BsonStoreTypes.BSON, bytes.get(0));
        assertEquals(document, BsonStoreTypes.Documents.INSTANCE.read(bytes));
        assertEquals(second, BsonStoreTypes.Documents.INSTANCE.read(bytes), "each value ends where it should");
        assertEquals(0, bytes.remaining());
    }

    @Test
    void whenBsonWouldNotGiveAValueBackExactlyThenItIsStoredInH2sFormatAndReadsBackEqual() {
        List<Document> odd = List.of(
            new Document("_id", 1).append("date", new java.util.Date(5)), // not a BSON type the server uses
            new Document("_id", 2).append("a\0b", 1), // BSON field names end at a NUL
            new Document("_id", 3).append("set", new java.util.TreeSet<>(List.of(1, 2))), // would come back a List
            new Document("_id", 4).append("map", new java.util.HashMap<>(java.util.Map.of("k", 1))), // would come back a Document
            new Document("_id", 5).append("at", Instant.ofEpochSecond(1, 123_456)), // BSON dates hold milliseconds
            new Document("_id", 6).append("s", "lone \uD800 surrogate"), // UTF-8 would make it '?'
            new Document("_id", 7).append("big", "x".repeat(16 * 1024 * 1024 + 1))); // over BSON's 16 MB
        for (Document document : odd) {
            ByteBuffer bytes = written(BsonStoreTypes.Documents.INSTANCE, List.of(document));
            assertNotEquals(BsonStoreTypes.BSON, bytes.get(0), document.get("_id").toString());
            Document read = BsonStoreTypes.Documents.INSTANCE.read(bytes);
            assertEquals(document, read);
            for (String field : document.keySet()) {
                assertEquals(document.get(field).getClass(), read.get(field).getClass(), field);
            }
        }
    }

    @Test
    void whenKeysAreStoredThenSimpleOnesAreBsonAndEveryOneReadsBackEqualAndOfItsClass() {
        List<Object> simple = List.of(new ObjectId(), "sku", 3, 4L, 2.5, true, java.util.UUID.randomUUID());
        List<Object> other = List.of(new Document("a", 1), "lone \uDC00", Instant.ofEpochMilli(5));
        for (Object key : simple) {
            ByteBuffer bytes = written(BsonStoreTypes.Keys.INSTANCE, List.of(key));
            assertEquals(BsonStoreTypes.BSON, bytes.get(0), key.toString());
            Object read = BsonStoreTypes.Keys.INSTANCE.read(bytes);
            assertEquals(key, read);
            assertEquals(key.getClass(), read.getClass());
        }
        for (Object key : other) {
            ByteBuffer bytes = written(BsonStoreTypes.Keys.INSTANCE, List.of(key));
            assertNotEquals(BsonStoreTypes.BSON, bytes.get(0), key.toString());
            assertEquals(key, BsonStoreTypes.Keys.INSTANCE.read(bytes));
        }
    }
}
