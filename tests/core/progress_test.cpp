// Progress and summary lines (DESIGN §3) are coalesced: the latest value per job is written by the
// group commit that stores the lines, and a job's change is announced at most every 100 ms, the
// last value always. On both dialects.
#include "feedprobe.h"
#include "logs/logbus.h"
#include "pgcluster.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QSqlQuery>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

using namespace cd;

namespace {

class ProgressOn : public cdtest::OnEachDialect
{};

} // namespace

INSTANTIATE_TEST_SUITE_P(Dialects, ProgressOn, testing::Values("sqlite", "postgresql"), cdtest::dialectName);

TEST_P(ProgressOn, ManyProgressLinesAreOneWriteAndAtMostTenEventsASecondEndingWithTheLastValue)
{
    cdtest::LoggingStores d(location());
    const auto job = d.jobs.insert(model::JobSpec{}).value();
    QList<int> announced;
    QObject::connect(&d.feed, &feed::ChangeFeed::jobChanged, &d.feed, [&](const model::Job &j) {
        if (j.id == job.id)
            announced.append(j.progress);
    });

    // A worker printing progress per item: 1,000 lines over about a second, committed as they go.
    QElapsedTimer clock;
    clock.start();
    const quint64 commitsBefore = d.logs.commits();
    for (int i = 1; i <= 1000; ++i) {
        d.bus.append(job.id, model::LogSource::Callback,
                     QStringList{QStringLiteral("[INFO] Progress: %1% item %2").arg(i / 10).arg(i)});
        if (i % 10 == 0)
            cdtest::spin(10);
    }
    const double seconds = static_cast<double>(clock.elapsed()) / 1000.0;
    ASSERT_TRUE(d.logs.flush());
    EXPECT_EQ(d.jobs.job(job.id)->progress, 100);
    EXPECT_EQ(d.logs.count(job.id), 1000);
    // The last value goes out even though it came less than 100 ms after the one before.
    ASSERT_TRUE(cdtest::waitUntil([&] { return !announced.isEmpty() && announced.last() == 100; }, 2000))
        << announced.size();
    cdtest::spin(250);
    EXPECT_EQ(announced.last(), 100);
    const int bound = static_cast<int>(seconds * 1000 / logs::LogBus::kAnnounceEveryMs) + 3;
    EXPECT_LE(announced.size(), bound) << "over " << seconds << " s";
    EXPECT_GE(announced.size(), 2); // and not just once at the end
    // Announced values only grow: each event reads the job as stored.
    EXPECT_TRUE(std::is_sorted(announced.cbegin(), announced.cend()));
    std::printf("[ FIGURES  ] 1000 progress lines in %.2f s: %llu group commits, %lld job events\n", seconds,
                static_cast<unsigned long long>(d.logs.commits() - commitsBefore),
                static_cast<long long>(announced.size()));
}

TEST_P(ProgressOn, TheSummaryAndProgressGoInWithTheirLinesAndNeverWithoutThem)
{
    cdtest::LoggingStores d(location());
    const auto a = d.jobs.insert(model::JobSpec{}).value();
    const auto b = d.jobs.insert(model::JobSpec{}).value();
    d.bus.append(a.id, model::LogSource::Callback,
                 QStringList{QStringLiteral("[INFO] Progress: 30%"), QStringLiteral("[SUMMARY] {\"valid\": 7}")});
    d.bus.append(b.id, model::LogSource::Callback, QStringList{QStringLiteral("[INFO] plain line")});
    // Not before the commit: a reader never sees progress whose lines are not stored.
    EXPECT_EQ(d.jobs.job(a.id)->progress, 0);
    ASSERT_TRUE(d.logs.flush());
    const auto ja = d.jobs.job(a.id).value();
    EXPECT_EQ(ja.progress, 30);
    EXPECT_EQ(ja.summary.value(QStringLiteral("valid")).toInt(), 7);
    const auto jb = d.jobs.job(b.id).value();
    EXPECT_EQ(jb.progress, 0);
    EXPECT_TRUE(jb.summary.isEmpty());
    // A later plain line of a does not write its progress again (or reset it).
    d.bus.append(a.id, model::LogSource::Callback, QStringList{QStringLiteral("[INFO] later")});
    ASSERT_TRUE(d.logs.flush());
    EXPECT_EQ(d.jobs.job(a.id)->progress, 30);
    EXPECT_EQ(d.jobs.job(a.id)->summary.value(QStringLiteral("valid")).toInt(), 7);
}

TEST_P(ProgressOn, ProgressOfADeletedJobIsDroppedWithItsLines)
{
    cdtest::LoggingStores d(location());
    const auto gone = d.jobs.insert(model::JobSpec{}).value();
    const auto kept = d.jobs.insert(model::JobSpec{}).value();
    d.bus.append(gone.id, model::LogSource::Callback, QStringList{QStringLiteral("[INFO] Progress: 50%")});
    d.bus.append(kept.id, model::LogSource::Callback, QStringList{QStringLiteral("[INFO] Progress: 60%")});
    {
        store::Database other; // as retention on another node would
        ASSERT_TRUE(other.open(location()));
        ASSERT_TRUE(other.run(QStringLiteral("DELETE FROM jobs WHERE id = ?"), {gone.id}, "test"));
    }
    ASSERT_TRUE(d.logs.flush());
    EXPECT_EQ(d.jobs.job(kept.id)->progress, 60);
    EXPECT_FALSE(d.jobs.job(gone.id));
    EXPECT_EQ(d.logs.linesDropped(), 1u);
}
