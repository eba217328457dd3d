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
import java.util.Arrays;
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
    void whenAValueIsNotBsonThenItIsStoredInH2sFormatAndReadsBackEqual() {
        Document odd = new Document("_id", 1).append("date", new java.util.Date(5)); // not a BSON type the server uses
        ByteBuffer bytes = written(BsonStoreTypes.Documents.INSTANCE, List.of(odd));
        assertNotEquals(BsonStoreTypes.BSON, bytes.get(0));
        assertEquals(odd, BsonStoreTypes.Documents.INSTANCE.read(bytes));
    }

    @Test
    void whenKeysAreStoredThenTheyAreBsonReadBackEqualAndKeepH2sOrder() {
        List<Object> keys = List.of(new ObjectId(), "sku", 3, 4L, 2.5, new Document("a", 1));
        ByteBuffer bytes = written(BsonStoreTypes.Keys.INSTANCE, keys);
        for (Object key : keys) {
            assertEquals(BsonStoreTypes.BSON, bytes.get(bytes.position()));
            assertEquals(key, BsonStoreTypes.Keys.INSTANCE.read(bytes));
        }
        Object[] sorted = keys.toArray();
        Arrays.sort(sorted, BsonStoreTypes.Keys.INSTANCE);
        Object[] byH2 = keys.toArray();
        Arrays.sort(byH2, new org.h2.mvstore.type.ObjectDataType());
        assertEquals(Arrays.asList(byH2), Arrays.asList(sorted));
    }
}
