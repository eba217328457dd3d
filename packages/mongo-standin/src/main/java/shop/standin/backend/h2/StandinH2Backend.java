package shop.standin.backend.h2;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/** The H2 (MVStore file) backend with the stand-in's indexes, planner and explain. */
public final class StandinH2Backend extends H2Backend {

    public StandinH2Backend(String fileName) {
        super(fileName);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return StandinH2Database.open(databaseName, getMvStore(), getCursorRegistry());
    }
}
