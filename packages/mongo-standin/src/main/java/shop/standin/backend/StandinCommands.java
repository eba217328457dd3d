package shop.standin.backend;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;

/**
 * The commands the stand-in answers beyond mongo-java-server: {@code explain} (find, count,
 * distinct, findAndModify, update, delete, aggregate), and aggregate pipelines that start with
 * {@code $match}, whose match is read through the collection's indexes instead of a full scan.
 * Shared by the memory and H2 databases; null means "not ours, let upstream answer".
 */
public final class StandinCommands {

    private StandinCommands() {
    }

    public static Document handle(MongoDatabase database, String command, Document query, DatabaseResolver resolver, Oplog oplog) {
        if (command.equalsIgnoreCase("explain")) {
            return explain(database, query, resolver, oplog);
        }
        if (command.equalsIgnoreCase("aggregate")) {
            return aggregateFromMatch(database, query, resolver, oplog);
        }
        return null;
    }

    /** The first stage's filter when the pipeline starts with a plain {@code $match}, else null. */
    private static Document leadingMatch(List<Document> pipeline) {
        if (pipeline.isEmpty() || !(pipeline.get(0).get("$match") instanceof Document match) || pipeline.get(0).size() != 1) {
            return null;
        }
        // handleQuery would read these keys as a wrapped query, not as field names.
        if (match.containsKey("query") || match.containsKey("$query")) {
            return null;
        }
        return match;
    }

    private static Document aggregateFromMatch(MongoDatabase database, Document query, DatabaseResolver resolver, Oplog oplog) {
        String collectionName = query.get("aggregate").toString();
        MongoCollection<?> collection = database.resolveCollection(collectionName, false);
        if (collection == null || query.containsKey("explain")) {
            return null;
        }
        List<Document> pipeline = Aggregation.parse(query.get("pipeline"));
        Document match = leadingMatch(pipeline);
        if (match == null) {
            return null;
        }
        Aggregation aggregation = Aggregation.fromPipeline(pipeline, resolver, database, collection, oplog);
        aggregation.validate(query);
        List<Document> results = aggregation.runStages(collection.handleQueryAsStream(match));
        Document cursor = new Document("id", 0L)
            .append("ns", database.getDatabaseName() + "." + collectionName)
            .append("firstBatch", results);
        return new Document("cursor", cursor).append("ok", 1.0);
    }

    private static Document explain(MongoDatabase database, Document query, DatabaseResolver resolver, Oplog oplog) {
        if (!(query.get("explain") instanceof Document inner) || inner.isEmpty()) {
            throw new MongoServerError(9, "FailedToParse", "explain must be an object naming the command to explain");
        }
        String verbosity = String.valueOf(query.getOrDefault("verbosity", "allPlansExecution"));
        String commandName = inner.keySet().iterator().next();
        String collectionName = String.valueOf(inner.get(commandName));
        Target target = target(commandName, inner);
        MongoCollection<?> collection = database.resolveCollection(collectionName, false);

        Document queryPlanner = new Document("namespace", database.getDatabaseName() + "." + collectionName)
            .append("indexFilterSet", false)
            .append("parsedQuery", target.filter);
        Document executionStats = new Document("executionSuccess", true);
        if (collection instanceof ExplainableCollection explainable) {
            IndexedQueries.Explained explained = explainable.explain(target.filter, target.sort, target.skip, target.limit);
            Document winning = wrap(target.stage, explained.winningPlan());
            queryPlanner.append("winningPlan", winning).append("rejectedPlans", explained.rejectedPlans());
            executionStats.append("nReturned", explained.returned())
                .append("executionTimeMillis", explained.millis())
                .append("totalKeysExamined", explained.stats().keysExamined)
                .append("totalDocsExamined", explained.stats().docsExamined)
                .append("executionStages", winning);
        } else {
            // No such collection: MongoDB plans an EOF stage that reads nothing.
            Document eof = wrap(target.stage, new Document("stage", "EOF"));
            queryPlanner.append("winningPlan", eof).append("rejectedPlans", List.of());
            executionStats.append("nReturned", 0L).append("executionTimeMillis", 0L)
                .append("totalKeysExamined", 0L).append("totalDocsExamined", 0L).append("executionStages", eof);
        }

        Document response = new Document("explainVersion", "1").append("queryPlanner", queryPlanner);
        if (!verbosity.equals("queryPlanner")) {
            response.append("executionStats", executionStats);
        }
        if (commandName.equals("aggregate")) {
            response.append("stages", aggregateStages(queryPlanner, executionStats, inner));
        }
        return response.append("command", inner).append("ok", 1.0);
    }

    /** Aggregate explain also lists the pipeline, its leading $match read as a $cursor stage. */
    private static List<Document> aggregateStages(Document queryPlanner, Document executionStats, Document inner) {
        List<Document> stages = new ArrayList<>();
        stages.add(new Document("$cursor", new Document("queryPlanner", queryPlanner).append("executionStats", executionStats)));
        List<Document> pipeline = Aggregation.parse(inner.get("pipeline"));
        stages.addAll(leadingMatch(pipeline) != null ? pipeline.subList(1, pipeline.size()) : pipeline);
        return stages;
    }

    private static Document wrap(String stage, Document input) {
        return stage == null ? input : new Document("stage", stage).append("inputStage", input);
    }

    /** The read part of an explained command: which documents it looks for, in which order, how many. */
    private record Target(String stage, Document filter, Document sort, int skip, int limit) {
    }

    private static Target target(String commandName, Document inner) {
        switch (commandName) {
            case "find":
                return new Target(null, document(inner.get("filter")), sortOf(inner.get("sort")), number(inner.get("skip")), Math.abs(number(inner.get("limit"))));
            case "count":
                return new Target("COUNT", document(inner.get("query")), null, number(inner.get("skip")), number(inner.get("limit")));
            case "distinct":
                return new Target("PROJECTION_DEFAULT", document(inner.get("query")), null, 0, 0);
            case "findAndModify":
            case "findandmodify":
                return new Target(Boolean.TRUE.equals(inner.get("remove")) ? "DELETE" : "UPDATE",
                    document(inner.get("query")), sortOf(inner.get("sort")), 0, 1);
            case "update":
            case "delete": {
                Document statement = first(inner.get(commandName.equals("update") ? "updates" : "deletes"));
                boolean many = commandName.equals("update") ? Boolean.TRUE.equals(statement.get("multi")) : number(statement.get("limit")) == 0;
                return new Target(commandName.toUpperCase(), document(statement.get("q")), sortOf(statement.get("sort")), 0, many ? 0 : 1);
            }
            case "aggregate": {
                Document match = leadingMatch(Aggregation.parse(inner.get("pipeline")));
                return new Target(null, match != null ? match : new Document(), null, 0, 0);
            }
            default:
                throw new MongoServerError(72, "InvalidOptions", "explain does not support the '" + commandName + "' command here");
        }
    }

    private static Document first(Object statements) {
        if (statements instanceof Collection<?> list && !list.isEmpty() && list.iterator().next() instanceof Document document) {
            return document;
        }
        throw new MongoServerError(9, "FailedToParse", "explain needs one statement to explain");
    }

    private static Document document(Object value) {
        return value instanceof Document document ? document : new Document();
    }

    private static Document sortOf(Object value) {
        return value instanceof Document document && !document.isEmpty() ? document : null;
    }

    private static int number(Object value) {
        return value instanceof Number number ? number.intValue() : 0;
    }
}
