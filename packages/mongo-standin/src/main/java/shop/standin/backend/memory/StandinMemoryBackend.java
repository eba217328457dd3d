package shop.standin.backend.memory;

import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/** The in-memory backend with the stand-in's indexes, planner and explain. */
public final class StandinMemoryBackend extends MemoryBackend {

    @Override
    public StandinMemoryDatabase openOrCreateDatabase(String databaseName) {
        return new StandinMemoryDatabase(databaseName, getCursorRegistry());
    }
}
