package shop.standin.query;

/**
 * A range condition on one field: a lower and an upper value (null when open on that side), each
 * inclusive or not. Values are normalized as index keys hold them.
 */
public record Range(Object low, boolean lowInclusive, Object high, boolean highInclusive) {
}
