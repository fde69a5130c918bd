// The same store, log pipeline and HTTP flow on a real PostgreSQL server (a throwaway cluster).
#include "pgcluster.h"
#include "stack.h"
#include "store/sqldialect.h"
#include "testutil.h"

#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QUuid>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::PgCluster;
using cdtest::SseClient;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {

QMap<QString, QString> profiles()
{
    return {{QStringLiteral("crawler"), QStringLiteral("sleep 30")},
            {QStringLiteral("quick"), QStringLiteral("sh -c 'echo \"[INFO] Progress: 100%\"; echo out > result.txt'")}};
}

int countFromOtherConnection(const QString &url, const QString &sql)
{
    const QUrl u(url);
    const QString name = QUuid::createUuid().toString();
    int n = -1;
    {
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        other.setHostName(u.host());
        other.setPort(u.port());
        other.setUserName(u.userName());
        other.setDatabaseName(u.path().mid(1));
        if (other.open()) {
            QSqlQuery q(other);
            if (q.exec(sql) && q.next())
                n = q.value(0).toInt();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return n;
}

} // namespace

TEST(Postgres, MigratesAndEnforcesTheTransitionTable)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Stack st(StackOptions().noListen().on(url).withProfiles(profiles()));
    EXPECT_EQ(st.db->dialect().name(), QStringLiteral("postgresql"));
    EXPECT_EQ(st.db->schemaVersion(), 6);
    EXPECT_EQ(countFromOtherConnection(url, QStringLiteral("SELECT version FROM schema_meta")), 6);
    st.scheduler->stop();
    for (auto to : model::allStatuses()) {
        const auto job = st.jobs->insert(model::JobSpec{}).value();
        const auto r = st.jobs->transition(job.id, to);
        EXPECT_EQ(r.ok(), model::canTransition(JobStatus::Queued, to)) << model::toString(to).toStdString();
        if (!r.ok()) {
            EXPECT_EQ(r.error().code, Error::Code::Conflict);
        }
    }
    // Paging and text filter, with LIKE wildcards taken literally.
    model::JobSpec s;
    s.params.insert(QStringLiteral("keywords"), QJsonArray{QStringLiteral("100%_sure")});
    const auto marked = st.jobs->insert(s).value();
    model::JobFilter f;
    f.text = QStringLiteral("100%_");
    ASSERT_EQ(st.jobs->jobs(f).size(), 1);
    EXPECT_EQ(st.jobs->jobs(f).first().id, marked.id);
    model::JobFilter page;
    page.limit = 3;
    const auto first = st.jobs->jobs(page);
    page.beforeId = first.last().id;
    const auto second = st.jobs->jobs(page);
    ASSERT_EQ(second.size(), 3);
    EXPECT_NE(second.first().id, first.last().id);
}

TEST(Postgres, SeedFlowWithDurableCallbacksAndGaplessSeq)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Stack st(StackOptions().on(url).withProfiles(profiles()));
    const auto start =
        cdtest::postJson(st.port(), "/api/crawler/start",
                         QJsonObject{{QStringLiteral("domain_count"), 3},
                                     {QStringLiteral("keywords"), QJsonArray{QStringLiteral("test keyword")}}},
                         Stack::kToken);
    ASSERT_EQ(start.status, 200);
    const QString id = start.json().value(QStringLiteral("job_id")).toString();
    SseClient sse(st.port(), "/api/crawler/logs/" + id.toUtf8(), {{"Authorization", "Bearer " + Stack::kToken}});
    for (int i = 1; i <= 30; ++i) {
        const QString msg = QStringLiteral("[INFO] Test log %1").arg(i);
        const auto r = cdtest::postJson(st.port(), "/api/crawler/log",
                                        QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("message"), msg}},
                                        Stack::kToken);
        ASSERT_EQ(r.status, 200);
        // Durable before the answer: visible from another connection.
        EXPECT_EQ(countFromOtherConnection(
                      url, QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE message = '%1'").arg(msg)),
                  1);
    }
    // A NUL inside a message (JSON \u0000) is stored, replaced: PostgreSQL text cannot hold it.
    const auto nul = cdtest::request(st.port(), "POST", "/api/crawler/log",
                                     "{\"job_id\":\"" + id.toUtf8() + "\",\"message\":\"[INFO] nul\\u0000here\"}",
                                     {{"Content-Type", "application/json"}, {"X-API-Key", Stack::kCallbackKey}});
    ASSERT_EQ(nul.status, 200) << nul.body.toStdString();
    ASSERT_TRUE(sse.waitForMessages(31));
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/crawler/cancel/" + id.toUtf8(), {}, Stack::kToken).status, 200);
    ASSERT_TRUE(sse.waitForEvent("end", 10000));
    EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Cancelled);
    EXPECT_EQ(countFromOtherConnection(
                  url, QStringLiteral("SELECT MAX(seq) - COUNT(*) FROM job_logs WHERE job_id = '%1'").arg(id)),
              0);
    EXPECT_EQ(
        countFromOtherConnection(url, QStringLiteral("SELECT log_count FROM jobs WHERE id = '%1'").arg(id)),
        countFromOtherConnection(url, QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = '%1'").arg(id)));
    const auto page = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/logs?q=log%2030", Stack::kToken).json();
    EXPECT_EQ(page.value(QStringLiteral("lines")).toArray().size(), 1);
}

TEST(Postgres, LocalJobsArtifactsAndRestartRecovery)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    QString quick, interrupted;
    {
        Stack st(StackOptions().noListen().in(dir.path()).on(url).withProfiles(profiles()));
        model::JobSpec q;
        q.params.insert(QStringLiteral("profile"), QStringLiteral("quick"));
        quick = st.scheduler->submit(q).value().id;
        ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(quick)->status == JobStatus::Completed; }));
        ASSERT_TRUE(st.jobs->artifact(quick, QStringLiteral("result.txt")).has_value());
        model::JobSpec l;
        l.params.insert(QStringLiteral("profile"), QStringLiteral("crawler"));
        interrupted = st.scheduler->submit(l).value().id;
        ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(interrupted)->status == JobStatus::Running; }));
    }
    Stack again(StackOptions().noListen().in(dir.path()).on(url).withProfiles(profiles()));
    EXPECT_EQ(again.jobs->job(interrupted)->status, JobStatus::Failed);
    EXPECT_EQ(again.jobs->job(interrupted)->error, QStringLiteral("interrupted by restart"));
    EXPECT_EQ(again.jobs->job(quick)->progress, 100);
    again.scheduler->stop();
}

TEST(Postgres, ADroppedConnectionIsReopenedWithoutLosingLines)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Stack st(StackOptions().on(url).withProfiles(profiles()));
    const auto start =
        cdtest::postJson(st.port(), "/api/crawler/start",
                         QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}}}, Stack::kToken);
    const QString id = start.json().value(QStringLiteral("job_id")).toString();
    auto post = [&](const QString &msg) {
        return cdtest::postJson(st.port(), "/api/crawler/log",
                                QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("message"), msg}},
                                Stack::kToken)
            .status;
    };
    ASSERT_EQ(post(QStringLiteral("before the drop")), 200);
    // The server ends every other session of this database, as a restart or failover would.
    EXPECT_GE(
        countFromOtherConnection(url, QStringLiteral("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")),
        1);
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(post(QStringLiteral("after the drop %1").arg(i)), 200);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/" + id.toUtf8(), Stack::kToken).status, 200);
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/crawler/cancel/" + id.toUtf8(), {}, Stack::kToken).status, 200);
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Cancelled; }, 15000));
    EXPECT_EQ(
        countFromOtherConnection(
            url, QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = '%1' AND message LIKE 'after the drop%%'")
                     .arg(id)),
        5);
    EXPECT_GE(st.db->generation(), 1u);
}
