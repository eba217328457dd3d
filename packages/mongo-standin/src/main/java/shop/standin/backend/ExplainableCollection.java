package shop.standin.backend;

import de.bwaldvogel.mongo.bson.Document;

/** A collection that can say how it runs a query, and run it to count what it reads (explain). */
public interface ExplainableCollection {
    IndexedQueries.Explained explain(Document filter, Document sort, int skip, int limit);
}
