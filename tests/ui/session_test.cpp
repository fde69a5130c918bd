// The Session boundary, once per kind of session (sessions.h): what every session must do for the
// window, whether its answers come at once or later.
#include "jobtablemodel.h"
#include "logmodel.h"
#include "sessions.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QJsonArray>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::await;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;
using model::LogLevel;
using session::Reply;

namespace {
QMap<QString, QString> profiles()
{
    return {{QStringLiteral("quick"), QStringLiteral("sh -c 'echo \"[INFO] Progress: 50%\"'")},
            {QStringLiteral("long"), QStringLiteral("sleep 30")},
            {QStringLiteral("writer"), QStringLiteral("sh -c 'echo a > a.txt; mkdir d; echo bb > d/b.csv'")}};
}

model::JobSpec spec(const QString &profile, model::Backend backend = model::Backend::Local)
{
    model::JobSpec s;
    s.backend = backend;
    s.params.insert(QStringLiteral("profile"), profile);
    s.params.insert(QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")});
    return s;
}

// A job no runner takes (no RunPod backend here): its log is whatever the test appends.
model::Job idleJob(Stack &st)
{
    return st.jobs->insert(spec(QStringLiteral("long"), model::Backend::RunPod)).value();
}

QString text(qint64 seq)
{
    return seq % 500 == 0 ? QStringLiteral("[ERROR] failure at %1").arg(seq)
                          : QStringLiteral("[INFO] line %1 of the log").arg(seq);
}

// Appends lines `from`..`to` (their seqs, when the job had from-1 lines) and commits them.
void appendLines(Stack &st, const QString &jobId, qint64 from, qint64 to)
{
    QStringList lines;
    for (qint64 s = from; s <= to; ++s)
        lines << text(s);
    st.bus->append(jobId, model::LogSource::Stdout, lines);
    st.logs->flush();
}

class SessionTest : public testing::TestWithParam<cdtest::SessionKind>
{
protected:
    StackOptions options() const
    {
        StackOptions o = StackOptions().withProfiles(profiles());
        return GetParam().listen ? o : o.noListen();
    }
};
} // namespace

TEST_P(SessionTest, JobQueriesActionsAndTheFeed)
{
    Stack st(options());
    const auto session = GetParam().make(st);
    QStringList added;
    QList<model::Job> finished;
    QObject ctx;
    QObject::connect(session.get(), &session::Session::jobAdded, &ctx, [&](const model::Job &j) { added << j.id; });
    QObject::connect(session.get(), &session::Session::jobFinished, &ctx, [&](const model::Job &j) { finished << j; });
    EXPECT_EQ(session->connectionState(), session::ConnectionState::Connected);

    const auto created = await<model::Job>(
        [&](QObject *c, Reply<model::Job> d) { session->create(spec(QStringLiteral("long")), c, d); });
    ASSERT_TRUE(created && created->ok());
    const QString id = created->value().id;
    ASSERT_TRUE(cdtest::waitUntil([&] { return added.contains(id); }));
    bool answered = false;
    session->job(id, &ctx, [&](Result<model::Job> j) {
        answered = true;
        EXPECT_EQ(j->params.value(QStringLiteral("profile")).toString(), QStringLiteral("long"));
    });
    EXPECT_EQ(answered, !GetParam().answersLater);
    ASSERT_TRUE(cdtest::waitUntil([&] { return answered; }));
    const auto unknown =
        await<model::Job>([&](QObject *c, Reply<model::Job> d) { session->job(QStringLiteral("nope"), c, d); });
    ASSERT_TRUE(unknown && !unknown->ok());
    EXPECT_EQ(unknown->error().code, Error::Code::NotFound);

    // Refused with the service's words, and nothing stored.
    const int before = static_cast<int>(st.jobs->jobs({}).size());
    const auto refusedCheck = await<Ok>([&](QObject *c, Reply<Ok> d) {
        session->validate(spec(QStringLiteral("long"), model::Backend::RunPodPod), c, d);
    });
    const auto refused = await<model::Job>([&](QObject *c, Reply<model::Job> d) {
        session->create(spec(QStringLiteral("long"), model::Backend::RunPodPod), c, d);
    });
    ASSERT_TRUE(refusedCheck && !refusedCheck->ok());
    ASSERT_TRUE(refused && !refused->ok());
    EXPECT_EQ(refused->error().detail, refusedCheck->error().detail);
    EXPECT_EQ(st.jobs->jobs({}).size(), before);

    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Running; }));
    const auto cancelled = await<model::Job>([&](QObject *c, Reply<model::Job> d) { session->cancel(id, c, d); });
    ASSERT_TRUE(cancelled && cancelled->ok());
    ASSERT_TRUE(cdtest::waitUntil([&] {
        return std::any_of(finished.cbegin(), finished.cend(),
                           [&](const model::Job &j) { return j.id == id && j.status == JobStatus::Cancelled; });
    }));
    const auto retried = await<model::Job>([&](QObject *c, Reply<model::Job> d) { session->retry(id, c, d); });
    ASSERT_TRUE(retried && retried->ok());
    EXPECT_EQ(retried->value().retryOf, id);
    EXPECT_EQ(retried->value().attempt, 2);
    const auto retries =
        await<QList<model::Job>>([&](QObject *c, Reply<QList<model::Job>> d) { session->retriesOf(id, c, d); });
    ASSERT_TRUE(retries && retries->ok());
    ASSERT_EQ(retries->value().size(), 1);
    EXPECT_EQ(retries->value().first().id, retried->value().id);
    const auto cloned = await<model::Job>([&](QObject *c, Reply<model::Job> d) { session->clone(id, c, d); });
    ASSERT_TRUE(cloned && cloned->ok());
    EXPECT_EQ(cloned->value().params, created->value().params);
    EXPECT_EQ(cloned->value().attempt, 1);
    EXPECT_TRUE(cloned->value().retryOf.isEmpty());

    // Pages, newest first, with the API's filter.
    model::JobFilter f;
    f.limit = 2;
    const auto page = await<QList<model::Job>>([&](QObject *c, Reply<QList<model::Job>> d) { session->jobs(f, c, d); });
    ASSERT_TRUE(page && page->ok());
    ASSERT_EQ(page->value().size(), 2);
    EXPECT_EQ(page->value().first().id, cloned->value().id);
    f.beforeId = page->value().last().id;
    const auto next = await<QList<model::Job>>([&](QObject *c, Reply<QList<model::Job>> d) { session->jobs(f, c, d); });
    ASSERT_TRUE(next && next->ok());
    ASSERT_EQ(next->value().size(), 1);
    EXPECT_EQ(next->value().first().id, id);
    f = {};
    f.statuses = {JobStatus::Cancelled};
    const auto cancelledOnly =
        await<QList<model::Job>>([&](QObject *c, Reply<QList<model::Job>> d) { session->jobs(f, c, d); });
    ASSERT_TRUE(cancelledOnly && cancelledOnly->ok());
    ASSERT_EQ(cancelledOnly->value().size(), 1);

    const auto status =
        await<session::ServiceStatus>([&](QObject *c, Reply<session::ServiceStatus> d) { session->status(c, d); });
    ASSERT_TRUE(status && status->ok());
    EXPECT_EQ(status->value().counts.value(JobStatus::Cancelled), 1);
    EXPECT_TRUE(status->value().profiles.contains(QStringLiteral("writer")));
    ASSERT_EQ(status->value().backends.size(), 3);
    EXPECT_TRUE(status->value().backends.at(0).available);
    EXPECT_EQ(status->value().backends.at(0).slots, 2);
    EXPECT_FALSE(status->value().backends.at(1).available);
    EXPECT_FALSE(status->value().backends.at(1).reason.isEmpty());
    const auto health =
        await<session::RunPodHealth>([&](QObject *c, Reply<session::RunPodHealth> d) { session->runpodHealth(c, d); });
    ASSERT_TRUE(health && health->ok());
    EXPECT_FALSE(health->value().configured);
    for (const auto &j : {retried->value(), cloned->value()})
        await<model::Job>([&](QObject *c, Reply<model::Job> d) { session->cancel(j.id, c, d); });
}

TEST_P(SessionTest, ArtifactsListAndFetchForOpening)
{
    Stack st(options());
    const auto session = GetParam().make(st);
    const auto job = st.scheduler->submit(spec(QStringLiteral("writer"))).value();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->artifacts(job.id).size() == 2; }));
    const auto list = await<QList<model::Artifact>>(
        [&](QObject *c, Reply<QList<model::Artifact>> d) { session->artifacts(job.id, c, d); });
    ASSERT_TRUE(list && list->ok());
    ASSERT_EQ(list->value().size(), 2);
    EXPECT_EQ(list->value().at(1).name, QStringLiteral("d/b.csv"));
    const auto path = await<QString>(
        [&](QObject *c, Reply<QString> d) { session->fetchArtifact(job.id, QStringLiteral("d/b.csv"), c, d); });
    ASSERT_TRUE(path && path->ok());
    QFile f(path->value());
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_EQ(f.readAll(), QByteArray("bb\n"));
    for (const QString &bad : {QStringLiteral("nope.txt"), QStringLiteral("../params.json")}) {
        const auto missing =
            await<QString>([&](QObject *c, Reply<QString> d) { session->fetchArtifact(job.id, bad, c, d); });
        ASSERT_TRUE(missing);
        EXPECT_FALSE(missing->ok()) << bad.toStdString();
    }
    if (session->can(session::Capability::LocalFiles)) {
        EXPECT_TRUE(QDir(session->jobFolder(job.id)).exists(QStringLiteral("a.txt")));
    }
}

TEST_P(SessionTest, LogIndexBlocksSearchAndLevels)
{
    Stack st(options());
    const auto session = GetParam().make(st);
    const auto job = idleJob(st);
    appendLines(st, job.id, 1, 3000);
    const auto index =
        await<session::LogIndex>([&](QObject *c, Reply<session::LogIndex> d) { session->logIndex(job.id, {}, c, d); });
    ASSERT_TRUE(index && index->ok());
    EXPECT_EQ(index->value().lastSeq, 3000);
    EXPECT_TRUE(index->value().seqs.isEmpty());
    const auto errors = await<session::LogIndex>(
        [&](QObject *c, Reply<session::LogIndex> d) { session->logIndex(job.id, {LogLevel::Error}, c, d); });
    ASSERT_TRUE(errors && errors->ok());
    EXPECT_EQ(errors->value().seqs, (QList<qint64>{500, 1000, 1500, 2000, 2500, 3000}));

    const auto block = await<model::LogLines>([&](QObject *c, Reply<model::LogLines> d) {
        session->logLines(store::LogQuery{job.id, 1024, 1024, {}, {}}, c, d);
    });
    ASSERT_TRUE(block && block->ok());
    ASSERT_EQ(block->value().size(), 1024);
    for (int i = 0; i < 1024; ++i) {
        ASSERT_EQ(block->value().at(i).seq, 1025 + i);
        ASSERT_EQ(block->value().at(i).message, text(1025 + i));
    }
    auto find = [&](qint64 from, const QString &what, bool forward) {
        const auto r = await<qint64>(
            [&](QObject *c, Reply<qint64> d) { session->findInLog(job.id, from, what, forward, {}, c, d); });
        return r && r->ok() ? r->value() : -1;
    };
    EXPECT_EQ(find(0, QStringLiteral("LINE 1234 of"), true), 1234);
    EXPECT_EQ(find(1500, QStringLiteral("failure at"), true), 2000);
    EXPECT_EQ(find(1500, QStringLiteral("failure at"), false), 1000);
    EXPECT_EQ(find(3000, QStringLiteral("failure at"), true), 0);
}

// The log model on the session: placeholders while a block is on its way (sessions that answer
// later), filled by dataChanged; live lines extend it in seq order, also while the tail block is on
// its way; the same with a level filter. The model tester checks every change as it happens.
TEST_P(SessionTest, LogModelFillsPlaceholdersAndAppendsLiveLinesInOrder)
{
    Stack st(options());
    const auto session = GetParam().make(st);
    const auto job = idleJob(st);
    appendLines(st, job.id, 1, 5000);
    ui::LogModel model(session.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QList<std::pair<int, int>> inserted;
    QList<std::pair<int, int>> filled;
    QObject ctx;
    QObject::connect(&model, &QAbstractItemModel::rowsInserted, &ctx, [&](const QModelIndex &, int first, int last) {
        inserted.append({first, last});
    });
    QObject::connect(&model, &QAbstractItemModel::dataChanged, &ctx, [&](const QModelIndex &tl, const QModelIndex &br) {
        filled.append({tl.row(), br.row()});
    });
    auto pending = [&](int row) { return model.index(row).data(ui::LogModel::PendingRole).toBool(); };

    model.setJob(job.id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.isLoaded(); }));
    ASSERT_EQ(model.rowCount(), 5000);
    // A row of a block not read yet.
    EXPECT_EQ(pending(3000), GetParam().answersLater);
    if (GetParam().answersLater) {
        EXPECT_EQ(model.index(3000).data().toString(), ui::LogModel::kPlaceholder);
        EXPECT_GE(model.blocksInFlight(), 1);
        ASSERT_TRUE(cdtest::waitUntil([&] { return !pending(3000); }));
        EXPECT_TRUE(std::any_of(filled.cbegin(), filled.cend(),
                                [](const auto &r) { return r.first <= 3000 && 3000 <= r.second; }));
    }
    EXPECT_EQ(model.index(3000).data(ui::LogModel::MessageRole).toString(), text(3001));
    EXPECT_EQ(model.index(3000).data(ui::LogModel::SeqRole).toLongLong(), 3001);

    // Live lines while the tail block (4097..5120) is being read, in three commits.
    inserted.clear();
    model.index(4999).data();
    appendLines(st, job.id, 5001, 5050);
    appendLines(st, job.id, 5051, 5051);
    appendLines(st, job.id, 5052, 6500);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowCount() == 6500; }));
    int expected = 5000;
    for (const auto &[first, last] : inserted) {
        EXPECT_EQ(first, expected) << "rows arrive in seq order, each once";
        expected = last + 1;
    }
    EXPECT_EQ(expected, 6500);
    for (int row = 4096; row < 6500; ++row) {
        ASSERT_TRUE(cdtest::waitUntil([&] { return !pending(row); })) << row;
        ASSERT_EQ(model.index(row).data(ui::LogModel::MessageRole).toString(), text(row + 1)) << row;
    }
    EXPECT_LE(model.cachedBlocks(), ui::LogModel::kMaxBlocks);

    // The same with a level filter: rows are the error lines, live ones appended in order.
    model.setLevelFilter({LogLevel::Error});
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.isLoaded(); }));
    ASSERT_EQ(model.rowCount(), 13);
    appendLines(st, job.id, 6501, 7000);
    appendLines(st, job.id, 7001, 7500);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowCount() == 15; }));
    for (int row = 0; row < 15; ++row) {
        EXPECT_EQ(model.seqForRow(row), 500 * (row + 1));
        ASSERT_TRUE(cdtest::waitUntil([&] { return !pending(row); }));
        EXPECT_EQ(model.index(row).data(ui::LogModel::LevelRole).toInt(), static_cast<int>(LogLevel::Error));
    }
    const int found = cdtest::rowFrom([&](auto done) { model.find(QStringLiteral("failure at 7000"), 0, true, done); });
    EXPECT_EQ(found, 13);
}

// The job table on the session: first page, paging, live inserts and changes, all under the tester.
TEST_P(SessionTest, JobTableModelPagesAndFollowsTheFeed)
{
    Stack st(options());
    const auto session = GetParam().make(st);
    for (int i = 0; i < ui::JobTableModel::kPage + 30; ++i)
        idleJob(st);
    ui::JobTableModel model(session.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.isLoaded(); }));
    EXPECT_GE(model.rowCount(), ui::JobTableModel::kPage); // the tester may have paged on already
    ASSERT_TRUE(cdtest::waitUntil([&] {
        if (model.canFetchMore({}))
            model.fetchMore({});
        return model.rowCount() == ui::JobTableModel::kPage + 30;
    }));
    QStringList ids;
    for (int i = 0; i < 3; ++i) {
        const auto j = await<model::Job>(
            [&](QObject *c, Reply<model::Job> d) { session->create(spec(QStringLiteral("quick")), c, d); });
        ASSERT_TRUE(j && j->ok());
        ids << j->value().id;
    }
    ASSERT_TRUE(cdtest::waitUntil([&] {
        model.flushUpdates();
        for (const QString &id : ids) {
            const int row = model.rowOf(id);
            if (row < 0 || model.jobAt(row)->status != JobStatus::Completed)
                return false;
        }
        return true;
    }));
    EXPECT_EQ(model.rowCount(), ui::JobTableModel::kPage + 33);
    EXPECT_EQ(model.jobAt(0)->id, ids.last()); // newest first
    EXPECT_EQ(model.index(model.rowOf(ids.first()), ui::JobTableModel::Progress).data(ui::JobTableModel::ProgressRole),
              100);
}

INSTANTIATE_TEST_SUITE_P(Sessions, SessionTest, testing::ValuesIn(cdtest::sessionKinds()),
                         [](const testing::TestParamInfo<cdtest::SessionKind> &info) { return info.param.name; });
