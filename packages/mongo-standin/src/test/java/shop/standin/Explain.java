package shop.standin;

import com.mongodb.client.MongoDatabase;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/** Runs explain through the wire and reads MongoDB's plan shape back. */
final class Explain {

    final Document response;

    private Explain(Document response) {
        this.response = response;
    }

    static Explain of(MongoDatabase database, Document command) {
        return new Explain(database.runCommand(new Document("explain", command).append("verbosity", "executionStats")));
    }

    static Explain find(MongoDatabase database, String collection, Document filter, Document sort, int limit) {
        Document command = new Document("find", collection).append("filter", filter);
        if (sort != null) {
            command.append("sort", sort);
        }
        if (limit > 0) {
            command.append("limit", limit);
        }
        return of(database, command);
    }

    Document winningPlan() {
        return response.get("queryPlanner", Document.class).get("winningPlan", Document.class);
    }

    /** Every stage name of the winning plan, from the top down. */
    List<String> stages() {
        List<String> names = new ArrayList<>();
        collect(winningPlan(), names, "stage");
        return names;
    }

    /** Every index the winning plan reads. */
    List<String> indexes() {
        List<String> names = new ArrayList<>();
        collect(winningPlan(), names, "indexName");
        return names;
    }

    private static void collect(Document stage, List<String> into, String field) {
        if (stage == null) {
            return;
        }
        if (stage.containsKey(field)) {
            into.add(stage.getString(field));
        }
        collect(stage.get("inputStage", Document.class), into, field);
        for (Document input : stage.getList("inputStages", Document.class, List.of())) {
            collect(input, into, field);
        }
    }

    /** The IXSCAN stage (the first one found). */
    Document indexScan() {
        Document stage = winningPlan();
        while (stage != null && !"IXSCAN".equals(stage.getString("stage"))) {
            stage = stage.get("inputStage", Document.class);
        }
        return stage;
    }

    private Document stats() {
        return response.get("executionStats", Document.class);
    }

    long keysExamined() {
        return stats().get("totalKeysExamined", Number.class).longValue();
    }

    long docsExamined() {
        return stats().get("totalDocsExamined", Number.class).longValue();
    }

    long returned() {
        return stats().get("nReturned", Number.class).longValue();
    }

    @Override
    public String toString() {
        return response.toJson();
    }
}
