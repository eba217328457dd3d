package shop.standin.index;

import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;

import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;

/** Small helpers on BSON values as mongo-java-server holds them. */
public final class Values {

    private Values() {
    }

    /**
     * The value as index keys hold it (numbers compared across types, missing as null): what
     * mongo-java-server's {@code KeyValue.normalized()} gives, without building a KeyValue for the
     * scalar values an index mostly holds.
     */
    public static Object normalize(Object value) {
        if (value == null || value instanceof Missing) {
            return null;
        }
        if (value instanceof Long l && l != (long) l.doubleValue()) {
            return value;
        }
        if (value instanceof Number number) {
            double d = number.doubleValue();
            return d == -0.0 ? 0.0 : d;
        }
        if (value instanceof Map || value instanceof Collection) {
            return new KeyValue(value).normalized().get(0);
        }
        return value;
    }

    /** True for an object whose keys are query operators ({@code {$gte: 1}}), not an embedded document. */
    public static boolean isOperatorObject(Object value) {
        if (!(value instanceof Map<?, ?> map) || map.isEmpty()) {
            return false;
        }
        return map.keySet().stream().anyMatch(key -> key.toString().startsWith("$"));
    }

    /**
     * True for a value an index lookup can compare with equality: not null (which also matches a
     * missing field), not an array or embedded document (matched as a whole), not a regular expression,
     * not MinKey/MaxKey (which the matcher lets a missing field meet).
     */
    public static boolean isPointValue(Object value) {
        return value != null
            && !(value instanceof MinKey)
            && !(value instanceof MaxKey)
            && !(value instanceof Collection)
            && !(value instanceof Map)
            && !(value instanceof BsonRegularExpression)
            && !(value instanceof Pattern);
    }
}
