package shop.standin.index;

/** Whether two values are of different BSON comparison types (a range on one never covers the other). */
final class ValueComparatorTypes {

    private ValueComparatorTypes() {
    }

    static boolean differ(Object a, Object b) {
        if (a instanceof Number && b instanceof Number) {
            return false;
        }
        return a == null || b == null || !a.getClass().equals(b.getClass());
    }
}
