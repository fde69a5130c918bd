#include "artifacts/artifactstore.h"
#include "feed/changefeed.h"
#include "feedprobe.h"
#include "logs/logbus.h"
#include "pgcluster.h"
#include "retention/retentionsweeper.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "store/nodestore.h"
#include "store/retention.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <gtest/gtest.h>

#include <iostream>

using namespace cd;
using model::JobStatus;

namespace {

using Db = cdtest::Stores;

// Reaches `target` through legal transitions only.
model::Job jobIn(store::JobStore &jobs, JobStatus target)
{
    auto j = jobs.insert(model::JobSpec{}).value();
    static const QMap<JobStatus, QList<JobStatus>> paths{
        {JobStatus::Queued, {}},
        {JobStatus::Starting, {JobStatus::Starting}},
        {JobStatus::Running, {JobStatus::Starting, JobStatus::Running}},
        {JobStatus::Completed, {JobStatus::Starting, JobStatus::Running, JobStatus::Completed}},
        {JobStatus::Failed, {JobStatus::Starting, JobStatus::Running, JobStatus::Failed}},
        {JobStatus::TimedOut, {JobStatus::Starting, JobStatus::Running, JobStatus::TimedOut}},
        {JobStatus::Cancelling, {JobStatus::Cancelling}},
        {JobStatus::Cancelled, {JobStatus::Cancelling, JobStatus::Cancelled}},
    };
    for (auto s : paths.value(target))
        j = jobs.transition(j.id, s).value();
    return j;
}

// One value read (or a statement run) through a connection of its own, as another process would.
qint64 scalar(const QString &location, const QString &sql)
{
    store::Database other;
    if (!other.open(location))
        return -2;
    auto q = other.run(sql, {}, "test");
    return q && q.value().next() ? q.value().value(0).toLongLong() : -1;
}

// The store suite runs on SQLite and on PostgreSQL (a fresh database of the throwaway cluster).
class StoreOn : public cdtest::OnEachDialect
{};

} // namespace

INSTANTIATE_TEST_SUITE_P(Dialects, StoreOn, testing::Values("sqlite", "postgresql"), cdtest::dialectName);

TEST_P(StoreOn, MigratesAnEmptyDatabase)
{
    const QString path = location();
    {
        Db d(path);
        EXPECT_EQ(d.db.schemaVersion(), 6);
    }
    EXPECT_EQ(scalar(path, QStringLiteral("SELECT version FROM schema_meta")), 6);
    for (const char *table : {"jobs", "job_logs", "artifacts", "nodes"})
        EXPECT_EQ(scalar(path, QStringLiteral("SELECT COUNT(*) FROM ") + QLatin1String(table)), 0) << table;
    EXPECT_EQ(scalar(path, QStringLiteral("SELECT COUNT(*) FROM schema_meta")), 1);
}

TEST_P(StoreOn, ReopensAnExistingDatabaseWithoutLosingData)
{
    const QString path = location();
    QString id;
    {
        Db d(path);
        id = d.jobs.insert(model::JobSpec{}).value().id;
    }
    Db again(path);
    EXPECT_EQ(again.db.schemaVersion(), 6);
    ASSERT_TRUE(again.jobs.job(id).has_value());
    EXPECT_EQ(scalar(path, QStringLiteral("SELECT COUNT(*) FROM schema_meta")), 1);
}

// Job tokens are signed with one key per database, whichever node proposed it first: a worker's
// callback is then accepted by every node sharing the database.
TEST_P(StoreOn, TheFirstProposedSharedSecretIsTheOneEveryNodeGets)
{
    Db first(location());
    Db second(location());
    store::NodeStore a(&first.db);
    store::NodeStore b(&second.db);
    const auto mine = a.sharedSecret(QStringLiteral("job_tokens"), QByteArrayLiteral("key-of-node-a"));
    ASSERT_TRUE(mine.ok()) << mine.error().detail.toStdString();
    EXPECT_EQ(mine.value(), QByteArrayLiteral("key-of-node-a"));
    const auto theirs = b.sharedSecret(QStringLiteral("job_tokens"), QByteArrayLiteral("key-of-node-b"));
    ASSERT_TRUE(theirs.ok()) << theirs.error().detail.toStdString();
    EXPECT_EQ(theirs.value(), QByteArrayLiteral("key-of-node-a"));
    // Another name is another secret.
    EXPECT_EQ(b.sharedSecret(QStringLiteral("other"), QByteArrayLiteral("x")).value(), QByteArrayLiteral("x"));
}

TEST_P(StoreOn, RefusesADatabaseFromANewerBuild)
{
    const QString path = location();
    {
        Db d(path);
    }
    scalar(path, QStringLiteral("UPDATE schema_meta SET version = 99"));
    store::Database db;
    const auto st = db.open(path);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(st.error().detail.contains(QStringLiteral("newer")));
}

TEST(Store, TransitionTableMatchesTheDesign)
{
    // DESIGN §2, plus starting -> failed/timed_out (a backend refusing a job before it runs).
    const QList<QPair<JobStatus, JobStatus>> expected{
        {JobStatus::Queued, JobStatus::Starting},      {JobStatus::Queued, JobStatus::Cancelling},
        {JobStatus::Starting, JobStatus::Running},     {JobStatus::Starting, JobStatus::Cancelling},
        {JobStatus::Starting, JobStatus::Failed},      {JobStatus::Starting, JobStatus::TimedOut},
        {JobStatus::Running, JobStatus::Completed},    {JobStatus::Running, JobStatus::Failed},
        {JobStatus::Running, JobStatus::TimedOut},     {JobStatus::Running, JobStatus::Cancelling},
        {JobStatus::Cancelling, JobStatus::Cancelled},
    };
    for (auto from : model::allStatuses())
        for (auto to : model::allStatuses())
            EXPECT_EQ(model::canTransition(from, to), expected.contains({from, to}))
                << model::toString(from).toStdString() << " -> " << model::toString(to).toStdString();
}

TEST_P(StoreOn, EveryLegalTransitionSucceedsAndEveryIllegalOneIsAConflict)
{
    Db d(location());
    for (auto from : model::allStatuses()) {
        for (auto to : model::allStatuses()) {
            const auto job = jobIn(d.jobs, from);
            ASSERT_EQ(job.status, from);
            const auto r = d.jobs.transition(job.id, to);
            if (model::canTransition(from, to)) {
                ASSERT_TRUE(r.ok()) << r.error().detail.toStdString();
                EXPECT_EQ(r->status, to);
                EXPECT_EQ(d.jobs.job(job.id)->status, to);
            } else {
                ASSERT_FALSE(r.ok());
                EXPECT_EQ(r.error().code, Error::Code::Conflict);
                EXPECT_EQ(d.jobs.job(job.id)->status, from) << "an illegal transition changed the row";
            }
        }
    }
}

TEST_P(StoreOn, TransitionsStampTimes)
{
    Db d(location());
    const auto done = jobIn(d.jobs, JobStatus::Completed);
    EXPECT_TRUE(done.createdAt.isValid());
    EXPECT_TRUE(done.startedAt.isValid());
    EXPECT_TRUE(done.finishedAt.isValid());
    EXPECT_EQ(done.progress, 100);
    EXPECT_FALSE(jobIn(d.jobs, JobStatus::Queued).startedAt.isValid());
    EXPECT_EQ(d.jobs.transition(QStringLiteral("missing"), JobStatus::Starting).error().code, Error::Code::NotFound);
}

TEST_P(StoreOn, FilterAndKeysetPaging)
{
    Db d(location());
    QStringList ids;
    for (int i = 0; i < 25; ++i) {
        model::JobSpec s;
        s.params.insert(QStringLiteral("keywords"), QJsonArray{i % 2 ? QStringLiteral("odd") : QStringLiteral("even")});
        ids.prepend(d.jobs.insert(s).value().id);
        cdtest::spin(2); // distinct created_at
    }
    jobIn(d.jobs, JobStatus::Failed);

    model::JobFilter f;
    f.limit = 10;
    QStringList seen;
    for (;;) {
        const auto page = d.jobs.jobs(f);
        for (const auto &j : page)
            seen << j.id;
        if (page.size() < f.limit)
            break;
        f.beforeId = page.last().id;
    }
    EXPECT_EQ(seen.size(), 26);
    EXPECT_EQ(QSet<QString>(seen.begin(), seen.end()).size(), 26);

    model::JobFilter byText;
    byText.text = QStringLiteral("odd");
    EXPECT_EQ(d.jobs.jobs(byText).size(), 12);
    model::JobFilter byStatus;
    byStatus.statuses = {JobStatus::Failed};
    EXPECT_EQ(d.jobs.jobs(byStatus).size(), 1);

    QUrlQuery q(QStringLiteral("status=bogus"));
    EXPECT_FALSE(model::JobFilter::fromQuery(q).ok());
}

TEST_P(StoreOn, GroupCommitWritesInBatchesAndSignalsDurability)
{
    const QString path = location();
    Db d(path);
    logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
    const auto job = d.jobs.insert(model::JobSpec{}).value();
    int commits = 0;
    QObject::connect(&d.logs, &store::LogStore::committed, &d.logs, [&] { ++commits; });

    // Below the batch size: nothing is written until the timer fires.
    const quint64 t1 =
        bus.append(job.id, model::LogSource::Stdout, QStringList{QStringLiteral("a"), QStringLiteral("b")});
    EXPECT_EQ(scalar(path, QStringLiteral("SELECT COUNT(*) FROM job_logs")), 0);
    EXPECT_LT(d.logs.committedTicket(), t1);
    ASSERT_TRUE(cdtest::waitUntil([&] { return d.logs.committedTicket() >= t1; }, 1000));
    EXPECT_EQ(scalar(path, QStringLiteral("SELECT COUNT(*) FROM job_logs")), 2);
    EXPECT_EQ(commits, 1);

    // A full batch commits at once, without waiting for the timer.
    QStringList many;
    for (int i = 0; i < store::LogStore::kMaxBatch; ++i)
        many << QStringLiteral("line %1").arg(i);
    bus.append(job.id, model::LogSource::Stdout, many);
    EXPECT_EQ(scalar(path, QStringLiteral("SELECT COUNT(*) FROM job_logs")), 2 + store::LogStore::kMaxBatch);
    EXPECT_EQ(d.jobs.job(job.id)->logCount, 2 + store::LogStore::kMaxBatch);

    bool durable = false;
    bus.whenDurable(bus.system(job.id, model::LogLevel::Info, QStringLiteral("x")), &d.logs,
                    [&](bool ok) { durable = ok; });
    EXPECT_FALSE(durable);
    ASSERT_TRUE(cdtest::waitUntil([&] { return durable; }, 1000));
}

TEST_P(StoreOn, SeqIsGaplessUnderInterleavedAppendsAndAcrossReopen)
{
    const QString path = location();
    QString a, b;
    {
        Db d(path);
        logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
        a = d.jobs.insert(model::JobSpec{}).value().id;
        b = d.jobs.insert(model::JobSpec{}).value().id;
        // Three sources interleaving on two jobs, with commits in between.
        for (int round = 0; round < 50; ++round) {
            bus.append(a, model::LogSource::Stdout, QStringList{QStringLiteral("o%1").arg(round)});
            bus.append(b, model::LogSource::Callback,
                       QStringList{QStringLiteral("c%1").arg(round), QStringLiteral("d")});
            bus.append(a, model::LogSource::Stderr, QStringList{QStringLiteral("e%1").arg(round)});
            if (round % 7 == 0)
                d.logs.flush();
        }
        d.logs.flush();
    }
    {
        // A new process continues each job's numbering where the database left it.
        Db d(path);
        logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
        bus.append(a, model::LogSource::Stdout, QStringList{QStringLiteral("after restart")});
        d.logs.flush();
        const auto lines = d.logs.lines(store::LogQuery{a, 0, 10000, {}, {}});
        ASSERT_EQ(lines.size(), 101);
        for (int i = 0; i < lines.size(); ++i)
            EXPECT_EQ(lines.at(i).seq, i + 1);
        EXPECT_EQ(lines.last().message, QStringLiteral("after restart"));
    }
    EXPECT_EQ(scalar(path, QStringLiteral("SELECT MAX(seq) - COUNT(*) FROM job_logs WHERE job_id = '") + b + u'\''), 0);
}

TEST_P(StoreOn, LogQueriesFilterByLevelAndText)
{
    Db d(location());
    logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
    const auto job = d.jobs.insert(model::JobSpec{}).value();
    bus.append(job.id, model::LogSource::Stdout,
               QStringList{QStringLiteral("[INFO] one"), QStringLiteral("[ERROR] two 100%_x"),
                           QStringLiteral("[ERROR] three")});
    const auto errors = d.logs.lines(store::LogQuery{job.id, 0, 100, {model::LogLevel::Error}, {}});
    EXPECT_EQ(errors.size(), 2);
    // LIKE wildcards in the search text are literal.
    const auto literal = d.logs.lines(store::LogQuery{job.id, 0, 100, {}, QStringLiteral("100%_")});
    ASSERT_EQ(literal.size(), 1);
    EXPECT_EQ(literal.first().seq, 2);
    EXPECT_EQ(d.logs.lines(store::LogQuery{job.id, 2, 100, {}, {}}).size(), 1);
}

TEST_P(StoreOn, ProgressAndSummaryFromLinesReachTheJob)
{
    Db d(location());
    logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
    const auto job = d.jobs.insert(model::JobSpec{}).value();
    bus.append(job.id, model::LogSource::Callback,
               QStringList{QStringLiteral("[INFO] Progress: 40%"), QStringLiteral("[SUMMARY] {\"pages\": 3}"),
                           QStringLiteral("[SUMMARY] {broken")});
    // Written with the lines, in their group commit.
    EXPECT_EQ(d.jobs.job(job.id)->progress, 0);
    ASSERT_TRUE(d.logs.flush());
    const auto j = d.jobs.job(job.id).value();
    EXPECT_EQ(j.progress, 40);
    EXPECT_EQ(j.summary.value(QStringLiteral("pages")).toInt(), 3);
    // The broken summary line is kept and followed by a warning that says why it was ignored.
    const auto lines = d.logs.lines(store::LogQuery{job.id, 0, 100, {}, {}});
    ASSERT_EQ(lines.size(), 4);
    EXPECT_EQ(lines.at(2).message, QStringLiteral("[SUMMARY] {broken"));
    EXPECT_EQ(lines.at(3).level, model::LogLevel::Warning);
}

TEST_P(StoreOn, AnyTextSurvivesTheBulkInsertUnchanged)
{
    Db d(location());
    logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
    const auto job = d.jobs.insert(model::JobSpec{}).value();
    // What an array literal could misread: quotes, backslashes, braces, commas, NULL, empty, non-ASCII.
    const QStringList tricky{QStringLiteral("say \"hi\""),
                             QStringLiteral("C:\\path\\"),
                             QStringLiteral("{a,b}"),
                             QStringLiteral("NULL"),
                             QString(),
                             QStringLiteral("  padded  "),
                             QStringLiteral("ünïcödé ✓ 中文"),
                             QStringLiteral("it's $1 ? $$")};
    bus.append(job.id, model::LogSource::Callback, tricky);
    ASSERT_TRUE(d.logs.flush());
    QStringList back;
    for (const auto &l : d.logs.lines(store::LogQuery{job.id, 0, 100, {}, {}}))
        back << l.message;
    EXPECT_EQ(back, tricky);
}

TEST(Store, OneLineTheDatabaseRefusesDoesNotStallTheLog)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.db"));
    Db d(path);
    logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
    const auto job = d.jobs.insert(model::JobSpec{}).value();
    bus.append(job.id, model::LogSource::Stdout,
               QStringList{QStringLiteral("one"), QStringLiteral("two"), QStringLiteral("three")});
    ASSERT_TRUE(d.logs.flush());
    // The database refuses one line, and the warning that would stand in for it too.
    ASSERT_TRUE(d.db.run(QStringLiteral("CREATE TRIGGER refuse BEFORE INSERT ON job_logs WHEN NEW.message LIKE "
                                        "'%five%' BEGIN SELECT RAISE(ABORT, 'refused'); END"),
                         {}, "test")
                    .ok());
    const quint64 ticket =
        bus.append(job.id, model::LogSource::Stdout,
                   QStringList{QStringLiteral("four"), QStringLiteral("five"), QStringLiteral("six")});
    for (int i = 0; i < store::LogStore::kIsolateAfterFailures; ++i)
        EXPECT_FALSE(d.logs.flush()); // the whole batch fails on the refused line
    EXPECT_TRUE(d.logs.flush());      // then the lines go one by one
    EXPECT_GE(d.logs.committedTicket(), ticket);
    EXPECT_EQ(d.logs.linesDropped(), 1u);
    const auto lines = d.logs.lines(store::LogQuery{job.id, 0, 100, {}, {}});
    QStringList messages;
    QList<qint64> seqs;
    for (const auto &l : lines) {
        messages << l.message;
        seqs << l.seq;
    }
    EXPECT_EQ(messages, (QStringList{QStringLiteral("one"), QStringLiteral("two"), QStringLiteral("three"),
                                     QStringLiteral("four"), QStringLiteral("six")}));
    EXPECT_EQ(seqs, (QList<qint64>{1, 2, 3, 4, 5})); // a refused line leaves no gap
    // And the log goes on.
    bus.append(job.id, model::LogSource::Stdout, QStringList{QStringLiteral("seven")});
    ASSERT_TRUE(d.logs.flush());
    EXPECT_EQ(d.logs.lines(store::LogQuery{job.id, 5, 10, {}, {}}).value(0).message, QStringLiteral("seven"));
}

TEST_P(StoreOn, ALineStoredBehindTheCountersBackDoesNotCollide)
{
    const QString path = location();
    Db d(path);
    logs::LogBus bus(&d.jobs, &d.logs, &d.feed);
    const auto job = d.jobs.insert(model::JobSpec{}).value();
    bus.append(job.id, model::LogSource::Stdout, QStringList{QStringLiteral("one"), QStringLiteral("two")});
    ASSERT_TRUE(d.logs.flush());
    // Another writer takes seq 3 without counting it (an older build, a manual fix-up).
    EXPECT_EQ(scalar(path, QStringLiteral("INSERT INTO job_logs VALUES ('%1', 3, '2026-01-01T00:00:00.000Z', "
                                          "'INFO', 'intruder', 'stdout')")
                               .arg(job.id)),
              -1); // ran, returned no row
    bus.append(job.id, model::LogSource::Stdout, QStringList{QStringLiteral("three"), QStringLiteral("four")});
    ASSERT_TRUE(d.logs.flush()); // no failed commit, no isolation
    EXPECT_EQ(d.logs.commitFailures(), 0u);
    const auto lines = d.logs.lines(store::LogQuery{job.id, 0, 100, {}, {}});
    ASSERT_EQ(lines.size(), 5);
    EXPECT_EQ(lines.at(3).message, QStringLiteral("three"));
    EXPECT_EQ(lines.at(3).seq, 4);
    EXPECT_EQ(lines.at(4).seq, 5);
    EXPECT_EQ(d.jobs.job(job.id)->logCount, 5);
}

namespace {

// The clock cannot be moved back; a job's finished_at can.
void setFinishedDaysAgo(store::Database &db, const QString &id, int days)
{
    auto q = db.run(QStringLiteral("UPDATE jobs SET finished_at = ? WHERE id = ?"),
                    {model::isoUtc(QDateTime::currentDateTimeUtc().addDays(-days)), id}, "ageing a job");
    ASSERT_TRUE(q) << q.error().detail.toStdString();
}

qint64 countFor(store::Database &db, const char *table, const QString &jobId)
{
    auto q =
        db.run(QStringLiteral("SELECT COUNT(*) FROM ") + QLatin1String(table) + QStringLiteral(" WHERE job_id = ?"),
               {jobId}, "counting");
    return q && q.value().next() ? q.value().value(0).toLongLong() : -1;
}

// A job with three log lines, a file in its output directory and the artifact row for it.
void giveLinesAndFiles(Db &d, artifacts::ArtifactStore &files, const QString &id)
{
    model::LogLines lines;
    for (int i = 0; i < 3; ++i)
        lines.append(model::LogLine{id, 0, QDateTime::currentDateTimeUtc(), model::LogLevel::Info,
                                    QStringLiteral("line %1").arg(i), model::LogSource::Stdout});
    d.logs.enqueue(lines);
    ASSERT_TRUE(d.logs.flush());
    ASSERT_TRUE(files.prepare(id));
    QFile f(files.outputDir(id) + QStringLiteral("/result.json"));
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("{}");
    f.close();
    model::Artifact a;
    a.jobId = id;
    a.name = QStringLiteral("result.json");
    a.size = 2;
    a.sha256 = QStringLiteral("x");
    a.mime = QStringLiteral("application/json");
    a.createdAt = QDateTime::currentDateTimeUtc();
    ASSERT_TRUE(d.jobs.upsertArtifact(a));
}

struct Sweep
{
    Sweep(Db &d, const QString &root) : files(root, &d.jobs), purger(&d.db), sweeper(&purger, &d.jobs, &files) {}
    artifacts::ArtifactStore files;
    store::Retention purger;
    retention::RetentionSweeper sweeper;
    bool run()
    {
        return sweeper.sweep() && cdtest::waitUntil([this] { return !sweeper.sweeping(); }, 60000);
    }
};

} // namespace

TEST_P(StoreOn, RetentionDeletesOldFinishedJobsWithTheirLinesArtifactsAndDirectory)
{
    Db d(location());
    QTemporaryDir root;
    Sweep s(d, root.path());
    s.sweeper.setDays(30);

    QStringList old;
    for (auto st : {JobStatus::Completed, JobStatus::Failed, JobStatus::TimedOut, JobStatus::Cancelled}) {
        const auto j = jobIn(d.jobs, st);
        giveLinesAndFiles(d, s.files, j.id);
        setFinishedDaysAgo(d.db, j.id, 40);
        old << j.id;
    }
    // Kept whatever their age: unfinished work (even with an old finished_at written over it), and
    // a job that finished inside the period.
    QStringList kept;
    for (auto st : {JobStatus::Queued, JobStatus::Starting, JobStatus::Running, JobStatus::Cancelling}) {
        const auto j = jobIn(d.jobs, st);
        giveLinesAndFiles(d, s.files, j.id);
        setFinishedDaysAgo(d.db, j.id, 400);
        kept << j.id;
    }
    const auto recent = jobIn(d.jobs, JobStatus::Completed);
    giveLinesAndFiles(d, s.files, recent.id);
    setFinishedDaysAgo(d.db, recent.id, 29);
    kept << recent.id;
    // A retry of a deleted job keeps its retry_of: lineage may point at a job no longer there.
    auto retry = d.jobs.insert(model::JobSpec{});
    ASSERT_TRUE(retry);
    ASSERT_TRUE(d.db.run(QStringLiteral("UPDATE jobs SET retry_of = ? WHERE id = ?"), {old.first(), retry->id}, "t"));
    kept << retry->id;

    ASSERT_TRUE(s.run());
    for (const QString &id : std::as_const(old)) {
        const auto j = d.jobs.job(id);
        ASSERT_FALSE(j) << id.toStdString();
        EXPECT_EQ(j.error().code, Error::Code::NotFound);
        EXPECT_EQ(countFor(d.db, "job_logs", id), 0);
        EXPECT_EQ(countFor(d.db, "artifacts", id), 0);
        EXPECT_FALSE(QDir(s.files.jobDir(id)).exists());
    }
    for (const QString &id : std::as_const(kept)) {
        EXPECT_TRUE(d.jobs.job(id)) << id.toStdString();
        if (id == retry->id)
            continue;
        EXPECT_EQ(countFor(d.db, "job_logs", id), 3);
        EXPECT_EQ(countFor(d.db, "artifacts", id), 1);
        EXPECT_TRUE(QFile::exists(s.files.outputDir(id) + QStringLiteral("/result.json")));
    }
    EXPECT_EQ(d.jobs.job(retry->id)->retryOf, old.first());
    EXPECT_EQ(s.sweeper.jobsDeleted(), 4);
    EXPECT_EQ(s.sweeper.linesDeleted(), 12);
    // The deleted jobs are gone for the callback path too (its cache of known jobs forgot them).
    EXPECT_FALSE(d.jobs.require(old.first()));
}

TEST_P(StoreOn, RetentionDeletesABacklogInBatchesWithTheEventLoopRunningBetween)
{
    Db d(location());
    QTemporaryDir root;
    Sweep s(d, root.path());
    s.sweeper.setDays(1);
    s.sweeper.setBatchSize(500);
    for (int i = 0; i < 1200; ++i)
        ASSERT_TRUE(d.jobs.insert(model::JobSpec{}));
    ASSERT_TRUE(d.db.run(QStringLiteral("UPDATE jobs SET status = 'completed', finished_at = ?"),
                         {model::isoUtc(QDateTime::currentDateTimeUtc().addDays(-2))}, "ageing jobs"));

    // A zero timer stands for the service's other work: it must get turns between batches.
    int ticks = 0;
    QTimer other;
    QObject::connect(&other, &QTimer::timeout, &other, [&ticks] { ++ticks; });
    other.start(0);
    QList<int> sizes;
    QList<int> ticksAt;
    QList<qint64> batchMs;
    QElapsedTimer clock;
    clock.start();
    QObject::connect(&s.sweeper, &retention::RetentionSweeper::batchDone, &other, [&](int n) {
        sizes << n;
        ticksAt << ticks;
        batchMs << clock.restart();
    });
    ASSERT_TRUE(s.run());
    EXPECT_EQ(sizes, (QList<int>{500, 500, 200}));
    ASSERT_EQ(ticksAt.size(), 3);
    EXPECT_LT(ticksAt[0], ticksAt[1]);
    EXPECT_LT(ticksAt[1], ticksAt[2]);
    EXPECT_EQ(scalar(location(), QStringLiteral("SELECT COUNT(*) FROM jobs")), 0);
    std::cout << "[ retention ] " << GetParam() << ": batches of 500 took";
    for (qint64 ms : std::as_const(batchMs))
        std::cout << ' ' << ms << " ms";
    std::cout << std::endl;
}

TEST_P(StoreOn, RetentionOffOrOnAFollowerDeletesNothing)
{
    Db d(location());
    QTemporaryDir root;
    Sweep s(d, root.path());
    const auto j = jobIn(d.jobs, JobStatus::Completed);
    setFinishedDaysAgo(d.db, j.id, 3650);

    EXPECT_EQ(s.sweeper.days(), 0); // the default keeps everything
    EXPECT_FALSE(s.sweeper.sweep());
    cdtest::spin(50);
    EXPECT_TRUE(d.jobs.job(j.id));

    bool leader = false;
    s.sweeper.setDays(30);
    s.sweeper.setMaySweep([&leader] { return leader; });
    EXPECT_FALSE(s.sweeper.sweep());
    cdtest::spin(50);
    EXPECT_TRUE(d.jobs.job(j.id));

    leader = true;
    ASSERT_TRUE(s.run());
    EXPECT_FALSE(d.jobs.job(j.id));
}
