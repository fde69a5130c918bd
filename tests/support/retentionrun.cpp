#include "retentionrun.h"

#include "testutil.h"

#include <QSqlQuery>

#include <gtest/gtest.h>

namespace cdtest {

QString finishedJob(Stack &st, int daysAgo)
{
    auto j = st.jobs->insert(cd::model::JobSpec{});
    EXPECT_TRUE(j);
    if (!j)
        return {};
    for (auto s : {cd::model::JobStatus::Starting, cd::model::JobStatus::Running, cd::model::JobStatus::Completed})
        EXPECT_TRUE(st.jobs->transition(j->id, s));
    EXPECT_TRUE(st.db->run(QStringLiteral("UPDATE jobs SET finished_at = ? WHERE id = ?"),
                           {cd::model::isoUtc(QDateTime::currentDateTimeUtc().addDays(-daysAgo)), j->id},
                           "ageing a job"));
    return j->id;
}

RetentionRun::RetentionRun(Stack &st, bool announce)
    : store(st.db.get()), sweeper(&store, st.jobs.get(), st.artifacts.get())
{
    sweeper.setDays(30);
    if (announce)
        QObject::connect(&sweeper, &cd::retention::RetentionSweeper::jobsPurged, st.feed.get(),
                         &cd::feed::ChangeFeed::publishRemoved);
}

bool RetentionRun::run(int timeoutMs)
{
    bool done = false;
    QObject context;
    QObject::connect(&sweeper, &cd::retention::RetentionSweeper::sweepFinished, &context, [&] { done = true; });
    return sweeper.sweep() && waitUntil([&] { return done; }, timeoutMs);
}

} // namespace cdtest
