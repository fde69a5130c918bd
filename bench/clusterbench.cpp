// Claim throughput of 1, 2 and 3 `crawldeck --headless` nodes on one PostgreSQL database: no-op
// local jobs submitted round-robin over HTTP until none is left. Prints one JSON object.
// Usage: crawldeck_bench_cluster [jobs=1000] [slots per node=4]
#include "nodecluster.h"
#include "pgcluster.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int jobs = argc > 1 ? QByteArray(argv[1]).toInt() : 1000;
    const int slots = argc > 2 ? QByteArray(argv[2]).toInt() : 4;
    if (!cdtest::PgCluster::instance().available()) {
        std::fprintf(stderr, "no PostgreSQL: %s\n", cdtest::PgCluster::instance().whyNot().toUtf8().constData());
        return 1;
    }
    QJsonArray runs;
    // Pre-queued: the claim and run rate alone. Submitted: end to end through one HTTP client.
    for (const bool preQueued : {true, false})
        for (int nodes = 1; nodes <= 3; ++nodes) {
            const auto r = cdtest::runNoOps(QStringLiteral(CRAWLDECK_BINARY), nodes, jobs, slots, preQueued);
            if (!r.error.isEmpty() || !r.drained) {
                std::fprintf(stderr, "%d node(s): %s\n", nodes,
                             r.error.isEmpty() ? "jobs left over" : r.error.toUtf8().constData());
                return 1;
            }
            int twice = 0;
            for (int n : r.runsPerJob)
                twice += n > 1 ? 1 : 0;
            runs.append(QJsonObject{
                {QStringLiteral("mode"), preQueued ? QStringLiteral("pre-queued") : QStringLiteral("submitted")},
                {QStringLiteral("nodes"), nodes},
                {QStringLiteral("jobs"), jobs},
                {QStringLiteral("slots_per_node"), slots},
                {QStringLiteral("seconds"), r.seconds},
                {QStringLiteral("submit_seconds"), r.submitSeconds},
                {QStringLiteral("jobs_per_s"), r.jobsPerSecond},
                {QStringLiteral("completed"), r.completed},
                {QStringLiteral("ran_more_than_once"), twice},
                {QStringLiteral("enqueue_to_start_p50_ms"), preQueued ? QJsonValue() : r.startP50Ms},
                {QStringLiteral("enqueue_to_start_p99_ms"), preQueued ? QJsonValue() : r.startP99Ms}});
        }
    std::printf("%s\n", QJsonDocument(QJsonObject{{QStringLiteral("bench"), QStringLiteral("cluster_claims")},
                                                  {QStringLiteral("runs"), runs}})
                            .toJson(QJsonDocument::Compact)
                            .constData());
    return 0;
}
