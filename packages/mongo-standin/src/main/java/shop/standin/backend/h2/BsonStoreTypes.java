package shop.standin.backend.h2;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonJavaScript;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.LegacyUUID;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.wire.BsonConstants;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * How a collection's documents and their keys are stored in the MVStore: as BSON, the format the
 * wire protocol already uses, instead of H2's default, Java serialization (decision 0002).
 *
 * <p>MVStore rewrites a whole page, every document in it, whenever one of them changes; with Java
 * serialization (a fresh ObjectOutputStream, class descriptors and reflection per document) that
 * was the stand-in's largest CPU cost under an order load.
 *
 * <p>Each BSON value starts with {@link #BSON}, a byte H2's own format never starts with; any other
 * first byte is a value written by H2's {@link ObjectDataType}, which is read, and compared, as
 * before. That covers stores written before this format (they open as they are; a page moves to
 * BSON when it is next rewritten) and every value BSON would not give back exactly as it was: a
 * field name with a NUL, a {@code Set}, a map that is not a Document, an Instant finer than a
 * millisecond, a string with a lone surrogate, a document over BSON's 16 MB, and keys other than
 * strings, numbers, booleans, ObjectIds and UUIDs. The format is one way: a store with BSON pages
 * cannot be opened by an older stand-in or by upstream's H2 backend.
 */
final class BsonStoreTypes {

    /** The first byte of a BSON value. H2's ObjectDataType tags are 0–119. */
    static final byte BSON = (byte) 0xB5;

    private static final ThreadLocal<ByteBuf> BUFFERS = ThreadLocal.withInitial(() -> Unpooled.buffer(4096));

    private BsonStoreTypes() {
    }

    /** The value type of a collection's data map: its documents. */
    static final class Documents extends BasicDataType<Document> {

        static final Documents INSTANCE = new Documents();

        private final ObjectDataType legacy = new ObjectDataType();

        private Documents() {
        }

        @Override
        public int getMemory(Document document) {
            return estimate(document);
        }

        @Override
        public void write(WriteBuffer out, Document document) {
            if (!exactInBson(document) || !writeBson(out, document, true)) {
                legacy.write(out, document);
            }
        }

        @Override
        public Document read(ByteBuffer in) {
            return in.get(in.position()) == BSON ? readBson(in, BsonDecoder::decodeBson) : (Document) legacy.read(in);
        }

        @Override
        public Document[] createStorage(int size) {
            return new Document[size];
        }
    }

    /**
     * The key type of a collection's data map: the documents' {@code _id} values. Ordered exactly as
     * H2's ObjectDataType orders them (the order of every page already stored); only the bytes differ.
     */
    static final class Keys extends BasicDataType<Object> {

        static final Keys INSTANCE = new Keys();

        private final ObjectDataType legacy = new ObjectDataType();

        private Keys() {
        }

        @Override
        public int compare(Object a, Object b) {
            return legacy.compare(a, b);
        }

        @Override
        public int getMemory(Object key) {
            return estimate(key);
        }

        @Override
        public void write(WriteBuffer out, Object key) {
            if (!bsonKey(key) || !writeBson(out, key, false)) {
                legacy.write(out, key);
            }
        }

        @Override
        public Object read(ByteBuffer in) {
            return in.get(in.position()) == BSON ? readBson(in, bytes -> BsonDecoder.decodeValue(bytes.readByte(), bytes)) : legacy.read(in);
        }

        @Override
        public Object[] createStorage(int size) {
            return new Object[size];
        }
    }

    /** Reads past {@link #BSON} and one value decoded from what follows; {@code in} ends up after it. */
    private static <T> T readBson(ByteBuffer in, Function<ByteBuf, T> decoder) {
        in.get();
        ByteBuf bytes = Unpooled.wrappedBuffer(in);
        T value = decoder.apply(bytes);
        in.position(in.position() + bytes.readerIndex());
        return value;
    }

    /**
     * Writes {@link #BSON} and the value (a document, or one typed value) to {@code out}; false,
     * with nothing written, when the encoder refuses it or the document is larger than BSON allows.
     */
    private static boolean writeBson(WriteBuffer out, Object value, boolean document) {
        ByteBuf buffer = BUFFERS.get();
        buffer.clear();
        try {
            if (document) {
                BsonEncoder.encodeDocument((Document) value, buffer);
            } else {
                byte type = BsonEncoder.determineType(value);
                buffer.writeByte(type);
                BsonEncoder.encodeValue(type, value, buffer);
            }
        } catch (IllegalArgumentException | ClassCastException notBson) {
            return false;
        }
        if (buffer.readableBytes() - 4 > BsonConstants.MAX_BSON_OBJECT_SIZE) {
            BUFFERS.remove();
            return false; // the decoder would refuse it
        }
        out.put(BSON);
        out.put(buffer.nioBuffer());
        if (buffer.capacity() > 1 << 20) {
            BUFFERS.remove(); // a rare large document does not stay in every serializing thread
        }
        return true;
    }

    /** Keys stored as BSON: those the decoder gives back as the same class and value. */
    static boolean bsonKey(Object key) {
        return (key instanceof String string && wellFormed(string)) || key instanceof Integer || key instanceof Long
            || key instanceof Double || key instanceof Boolean || key instanceof ObjectId || key instanceof UUID;
    }

    /** True when BSON gives {@code value} back equal, of the same kinds of objects, at every depth. */
    static boolean exactInBson(Object value) {
        if (value == null || value instanceof Integer || value instanceof Long || value instanceof Double
            || value instanceof Boolean || value instanceof ObjectId || value instanceof Decimal128 || value instanceof BinData
            || value instanceof UUID || value instanceof LegacyUUID || value instanceof BsonTimestamp
            || value instanceof BsonRegularExpression || value instanceof MaxKey || value instanceof MinKey
            || value instanceof BsonJavaScript) {
            return true;
        }
        if (value instanceof String string) {
            return wellFormed(string);
        }
        if (value instanceof Instant instant) {
            return instant.getNano() % 1_000_000 == 0;
        }
        if (value instanceof Document document) {
            for (Map.Entry<String, Object> entry : document.entrySet()) {
                if (entry.getKey().indexOf('\0') >= 0 || !wellFormed(entry.getKey()) || !exactInBson(entry.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof List<?> list) {
            for (Object element : list) {
                if (!exactInBson(element)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** No lone surrogate (UTF-8 would turn it into '?'). */
    private static boolean wellFormed(String string) {
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < string.length() && Character.isLowSurrogate(string.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** A cheap estimate of the heap a value takes, for MVStore's page cache accounting. */
    static int estimate(Object value) {
        if (value instanceof String string) {
            return 40 + 2 * string.length();
        }
        if (value instanceof BinData binData) {
            return 32 + binData.getData().length;
        }
        if (value instanceof Map<?, ?> map) {
            int size = 64;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                size += 32 + estimate(entry.getKey()) + estimate(entry.getValue());
            }
            return size;
        }
        if (value instanceof Collection<?> collection) {
            int size = 40;
            for (Object element : collection) {
                size += 8 + estimate(element);
            }
            return size;
        }
        return 24;
    }
}
