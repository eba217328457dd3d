package shop.standin.query;

/** What one query execution read: index keys and documents (explain's executionStats). */
public final class ScanStats {
    public long keysExamined;
    public long docsExamined;
}
