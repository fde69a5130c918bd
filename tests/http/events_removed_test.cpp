// Jobs deleted by retention on /api/events: one `removed` event per deleted job, none for the jobs
// kept, and the NOTIFY notices that carry removals to other nodes within PostgreSQL's payload limit.
#include "retentionrun.h"
#include "testutil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::finishedJob;
using cdtest::Stack;

namespace {

QStringList removedIds(const cdtest::SseClient &events)
{
    QStringList out;
    for (const auto &e : events.events()) {
        const QJsonObject o = QJsonDocument::fromJson(e.data).object();
        if (e.event == "job" && o.value(QStringLiteral("type")).toString() == u"removed")
            out << o.value(QStringLiteral("job_id")).toString();
    }
    return out;
}

} // namespace

TEST(EventsRemoved, JobsDeletedByRetentionAreAnnouncedOnceEach)
{
    Stack st;
    const QString old1 = finishedJob(st, 40);
    const QString old2 = finishedJob(st, 31);
    const QString recent = finishedJob(st, 2);
    cdtest::SseClient events(st.port(), "/api/events", {{"Authorization", "Bearer " + Stack::kToken}});
    ASSERT_EQ(events.status(), 200);
    cdtest::RetentionRun sweep(st);
    sweep.sweeper.setBatchSize(1); // one notice per batch: both batches reach the stream
    ASSERT_TRUE(sweep.run());
    EXPECT_EQ(sweep.sweeper.jobsDeleted(), 2);
    ASSERT_TRUE(cdtest::waitUntil([&] { return removedIds(events).size() >= 2; }));
    // A job created afterwards fences the stream: nothing about the deleted jobs comes after it.
    const QString later = st.jobs->insert(model::JobSpec{})->id;
    ASSERT_TRUE(cdtest::waitUntil([&] {
        for (const auto &e : events.events())
            if (e.data.contains(later.toUtf8()))
                return true;
        return false;
    }));
    QStringList removed = removedIds(events);
    removed.sort();
    QStringList expected{old1, old2};
    expected.sort();
    EXPECT_EQ(removed, expected);
    EXPECT_FALSE(removed.contains(recent));
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/" + old1.toUtf8(), Stack::kToken).status, 404);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/" + recent.toUtf8(), Stack::kToken).status, 200);
}

TEST(EventsRemoved, ASweepThatDeletesNothingAnnouncesNothing)
{
    Stack st;
    const QString recent = finishedJob(st, 2);
    cdtest::SseClient events(st.port(), "/api/events", {{"Authorization", "Bearer " + Stack::kToken}});
    ASSERT_EQ(events.status(), 200);
    cdtest::RetentionRun sweep(st);
    ASSERT_TRUE(sweep.run());
    const QString later = st.jobs->insert(model::JobSpec{})->id;
    ASSERT_TRUE(cdtest::waitUntil([&] {
        for (const auto &e : events.events())
            if (e.data.contains(later.toUtf8()))
                return true;
        return false;
    }));
    EXPECT_TRUE(removedIds(events).isEmpty());
}

TEST(EventsRemoved, RemovalNoticesForOtherNodesStayUnderThePayloadLimit)
{
    Stack st(cdtest::StackOptions{}.noListen());
    // A full retention batch of ids as long as ours: more than one NOTIFY's worth.
    QStringList ids;
    for (int i = 0; i < retention::RetentionSweeper::kBatchSize; ++i)
        ids << QStringLiteral("%1-0000-4000-8000-000000000000").arg(i, 8, 10, QLatin1Char('0'));
    const QStringList payloads = st.feed->removalPayloads(ids);
    ASSERT_GT(payloads.size(), 1);
    QStringList carried;
    for (const QString &p : payloads) {
        EXPECT_LE(p.toUtf8().size(), feed::ChangeFeed::kMaxPayload);
        const QJsonObject o = QJsonDocument::fromJson(p.toUtf8()).object();
        EXPECT_FALSE(o.value(QStringLiteral("o")).toString().isEmpty());
        for (const QJsonValue &v : o.value(QStringLiteral("r")).toArray())
            carried << v.toString();
    }
    EXPECT_EQ(carried, ids); // every id once, in order
    EXPECT_TRUE(st.feed->removalPayloads({}).isEmpty());
}
