package shop.standin.backend.h2;

import java.nio.file.Files;
import java.nio.file.Path;

import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreTool;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * The H2 (MVStore file) backend with the stand-in's indexes, planner and explain.
 *
 * <p>The store is rewritten compactly (live pages only, LZF-compressed) each time it opens, and
 * writes compressed pages from then on; see decision 0002 for the measurements behind this.
 */
public final class StandinH2Backend extends H2Backend {

    /**
     * MVStore's page cache in MB (H2's default is 16): large enough to hold the demo data's pages
     * decoded, so a read does not decompress and deserialize a page it read a moment ago.
     */
    static final int CACHE_MB = 256;

    /**
     * How much change MVStore lets pile up before the thread making the next change must store it
     * (H2's default is 1 MB): that store — serializing and compressing every changed page — then
     * runs inside a request, under the collection's lock. Large enough that the background writer
     * (once a second) always gets there first.
     */
    static final int WRITE_BUFFER_KB = 64 * 1024;

    public StandinH2Backend(String fileName) {
        super(openStore(fileName));
    }

    /** Compacts an existing store file (finishing or discarding an interrupted compaction first), then opens it. */
    static MVStore openStore(String fileName) {
        // First: a compaction interrupted after it removed the file leaves only its new copy.
        MVStoreTool.compactCleanUp(fileName);
        if (Files.exists(Path.of(fileName))) {
            MVStoreTool.compact(fileName, true);
        }
        return new MVStore.Builder().fileName(fileName).compress().cacheSize(CACHE_MB).autoCommitBufferSize(WRITE_BUFFER_KB).open();
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return StandinH2Database.open(databaseName, getMvStore(), getCursorRegistry());
    }
}
