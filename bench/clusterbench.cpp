// Claim throughput of 1, 2 and 3 `crawldeck --headless` nodes on one PostgreSQL database: no-op
// local jobs submitted round-robin over HTTP until none is left. Prints one JSON object.
// Usage: crawldeck_bench_cluster [jobs=1000] [slots per node=4]
#include "nodecluster.h"
#include "pgcluster.h"

#include "store/database.h"
#include "store/jobstore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

// The claim statement alone: `claimers` connections (threads) claim batches of `batch` from
// `jobs` queued rows until none is left. Returns claimed jobs per second, or -1.
double claimRate(int claimers, int jobs, int batch)
{
    const QString url = cdtest::PgCluster::instance().createDatabase();
    {
        cd::store::Database db; // creates the schema
        if (!db.open(url))
            return -1;
    }
    {
        cdtest::SqlProbe sql(url);
        if (!cdtest::queueJobs(sql, jobs, QStringLiteral("noop")))
            return -1;
    }
    std::atomic<int> claimed{0};
    std::atomic<bool> failed{false};
    QElapsedTimer t;
    t.start();
    std::vector<std::thread> threads;
    for (int i = 0; i < claimers; ++i)
        threads.emplace_back([&, i] {
            cd::store::Database db;
            if (!db.open(url)) {
                failed = true;
                return;
            }
            cd::store::JobStore store(&db);
            store.setNode(QStringLiteral("bench-%1").arg(i));
            for (;;) {
                const auto r = store.claim(cd::model::Backend::Local, batch);
                if (!r) {
                    failed = true;
                    return;
                }
                if (r->isEmpty())
                    return;
                claimed += static_cast<int>(r->size());
            }
        });
    for (auto &th : threads)
        th.join();
    const double secs = static_cast<double>(t.nsecsElapsed()) / 1e9;
    return failed || claimed != jobs ? -1 : jobs / secs;
}

} // namespace

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
    QJsonArray statements;
    for (int claimers = 1; claimers <= 3; ++claimers)
        statements.append(QJsonObject{{QStringLiteral("claimers"), claimers},
                                      {QStringLiteral("queued"), 10000},
                                      {QStringLiteral("batch"), slots},
                                      {QStringLiteral("claims_per_s"), claimRate(claimers, 10000, slots)}});
    std::printf("%s\n", QJsonDocument(QJsonObject{{QStringLiteral("bench"), QStringLiteral("cluster_claims")},
                                                  {QStringLiteral("claim_statement"), statements},
                                                  {QStringLiteral("runs"), runs}})
                            .toJson(QJsonDocument::Compact)
                            .constData());
    return 0;
}
