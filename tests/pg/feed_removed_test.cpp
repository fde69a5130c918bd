// Jobs deleted on one node (the leader's retention sweep) reach the other nodes' feeds, however
// many NOTIFY payloads the ids need, and are announced there once each.
#include "feedprobe.h"
#include "pgcluster.h"
#include "store/retention.h"
#include "testutil.h"

#include <QSqlQuery>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::PgCluster;

namespace {

struct Node : cdtest::Stores
{
    Node(const QString &url, const QString &name) : Stores(url, QStringLiteral("crawldeck:") + name)
    {
        if (auto st = feed.connectTo(url, name); !st)
            ADD_FAILURE() << st.error().detail.toStdString();
        QObject::connect(&feed, &feed::ChangeFeed::jobRemoved, &feed, [this](const QString &id) { removed << id; });
    }
    QStringList removed;
};

} // namespace

TEST(PgFeedRemoved, JobsDeletedOnTheLeaderAreRemovedOnceOnEveryNode)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Node a(url, QStringLiteral("A"));
    Node b(url, QStringLiteral("B"));
    // More jobs than one NOTIFY payload can name, all finished long ago, and one recent.
    constexpr int kOld = 300;
    QStringList old;
    for (int i = 0; i < kOld; ++i) {
        const QString id = a.jobs.insert(model::JobSpec{}).value().id;
        for (auto s : {model::JobStatus::Starting, model::JobStatus::Running, model::JobStatus::Completed})
            ASSERT_TRUE(a.jobs.transition(id, s));
        old << id;
    }
    const QString recent = a.jobs.insert(model::JobSpec{}).value().id;
    ASSERT_TRUE(a.db.run(QStringLiteral("UPDATE jobs SET finished_at = ? WHERE status = 'completed'"),
                         {model::isoUtc(QDateTime::currentDateTimeUtc().addDays(-40))}, "ageing jobs"));
    ASSERT_GT(a.feed.removalPayloads(old).size(), 1) << "one payload would do: nothing about splitting is tested";

    // What one sweep batch does on the leader (the sweeper's wiring is tested over HTTP).
    store::Retention retention(&a.db);
    const auto purged = retention.purge(QDateTime::currentDateTimeUtc().addDays(-30), kOld);
    ASSERT_TRUE(purged);
    ASSERT_EQ(purged->jobIds.size(), kOld);
    a.feed.publishRemoved(purged->jobIds);

    ASSERT_TRUE(cdtest::waitUntil([&] { return b.removed.size() >= kOld; }, 10000)) << b.removed.size();
    cdtest::waitUntil([] { return false; }, 300); // anything announced twice would be here by now
    QStringList atA = a.removed, atB = b.removed;
    atA.sort();
    atB.sort();
    QStringList expected = old;
    expected.sort();
    EXPECT_EQ(atA, expected);
    EXPECT_EQ(atB, expected);
    EXPECT_FALSE(b.removed.contains(recent));
}
