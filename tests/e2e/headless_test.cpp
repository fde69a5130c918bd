// Drives the real `crawldeck --headless` binary as a child process over loopback HTTP.
#include "headless.h"
#include "model/job.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "testsite.h"
#include "testutil.h"

#include <QDir>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <csignal>

using cdtest::Headless;

TEST(Headless, SeedFlowThenCleanExitOnSigterm)
{
    QTemporaryDir dir;
    // Out of the box, as seed 001 "Test 2" does it: no start_urls, so the job waits for its worker.
    Headless app(dir.path());
    ASSERT_NE(app.port(), 0) << app.stderrText().toStdString();

    const auto start =
        cdtest::postJson(app.port(), "/api/crawler/start",
                         QJsonObject{{QStringLiteral("domain_count"), 3},
                                     {QStringLiteral("keywords"), QJsonArray{QStringLiteral("test keyword")}}},
                         "e2e-token");
    ASSERT_EQ(start.status, 200) << start.body.toStdString();
    const QByteArray id = start.json().value(QStringLiteral("job_id")).toString().toUtf8();
    cdtest::SseClient sse(app.port(), "/api/crawler/logs/" + id, {{"Authorization", "Bearer e2e-token"}});
    auto post = [&](const QString &m) {
        return cdtest::postJson(
                   app.port(), "/api/crawler/log",
                   QJsonObject{{QStringLiteral("job_id"), QString::fromUtf8(id)}, {QStringLiteral("message"), m}},
                   "e2e-token")
            .status;
    };
    for (const char *m : {"[INFO] Test log 1", "[INFO] Test log 2", "[SUCCESS] Test completed"})
        ASSERT_EQ(post(QString::fromLatin1(m)), 200);
    ASSERT_TRUE(cdtest::waitUntil([&] { return sse.messages().contains("[SUCCESS] Test completed"); }));
    EXPECT_EQ(cdtest::getJson(app.port(), "/api/crawler/status/" + id, "e2e-token")
                  .json()
                  .value(QStringLiteral("status"))
                  .toString(),
              QStringLiteral("running"));
    // The worker's closing summary completes the job and ends the stream.
    ASSERT_EQ(post(QStringLiteral(
                  "[SUMMARY] {\"status\": \"success\", \"domains_generated\": {\"success\": 3, \"total\": 3}}")),
              200);
    ASSERT_TRUE(sse.waitForEvent("end", 20000));
    const auto status = cdtest::getJson(app.port(), "/api/crawler/status/" + id, "e2e-token").json();
    EXPECT_EQ(status.value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
    EXPECT_EQ(status.value(QStringLiteral("progress")).toInt(), 100);
    EXPECT_EQ(status.value(QStringLiteral("summary"))
                  .toObject()
                  .value(QStringLiteral("domains_generated"))
                  .toObject()
                  .value(QStringLiteral("success"))
                  .toInt(),
              3);

    EXPECT_EQ(app.terminate(), 0);
    EXPECT_TRUE(app.stderrText().contains("shutting down"));
}

TEST(Headless, JobsSurviveAHardKillAndAreRecoveredOnRestart)
{
    QTemporaryDir dir;
    QByteArray id;
    {
        Headless app(dir.path(), {QStringLiteral("--local-profile"), QStringLiteral("long=sleep 60")});
        ASSERT_NE(app.port(), 0);
        const auto start = cdtest::postJson(
            app.port(), "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("long")}}, "e2e-token");
        ASSERT_EQ(start.status, 201) << start.body.toStdString();
        id = start.json().value(QStringLiteral("id")).toString().toUtf8();
        ASSERT_TRUE(cdtest::waitUntil([&] {
            return cdtest::getJson(app.port(), "/api/jobs/" + id, "e2e-token")
                       .json()
                       .value(QStringLiteral("status"))
                       .toString() == QStringLiteral("running");
        }));
        app.process().kill(); // no chance to clean up
        app.process().waitForFinished(5000);
    }
    Headless again(dir.path(), {QStringLiteral("--local-profile"), QStringLiteral("long=sleep 60")});
    ASSERT_NE(again.port(), 0);
    const auto job = cdtest::getJson(again.port(), "/api/jobs/" + id, "e2e-token").json();
    EXPECT_EQ(job.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
    EXPECT_EQ(job.value(QStringLiteral("error")).toString(), QStringLiteral("interrupted by restart"));
    EXPECT_EQ(again.terminate(), 0);
}

TEST(Headless, GeneratesAndPrintsATokenOnFirstRunAndRejectsBadArguments)
{
    QTemporaryDir dir;
    QProcess p;
    p.start(QStringLiteral(CRAWLDECK_BINARY),
            {QStringLiteral("--headless"), QStringLiteral("--listen"), QStringLiteral("nonsense")});
    ASSERT_TRUE(p.waitForFinished(5000));
    EXPECT_EQ(p.exitCode(), 2);
    EXPECT_TRUE(p.readAllStandardError().contains("--listen expects HOST:PORT"));

    QProcess q;
    q.setProcessEnvironment(QProcessEnvironment::systemEnvironment());
    q.start(QStringLiteral(CRAWLDECK_BINARY), {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(),
                                               QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    ASSERT_TRUE(cdtest::waitUntil([&] { return q.canReadLine(); }, 10000));
    cdtest::spin(100);
    const QByteArray out = q.readAllStandardOutput();
    EXPECT_TRUE(out.startsWith("crawldeck: API token")) << out.toStdString();
    EXPECT_TRUE(out.contains("crawldeck: listening on")) << out.toStdString();
    ::kill(static_cast<pid_t>(q.processId()), SIGTERM);
    ASSERT_TRUE(q.waitForFinished(5000));
    EXPECT_EQ(q.exitCode(), 0);
}

TEST(Headless, DefaultProfileRunsTheBuiltInCrawler)
{
    cdtest::TestSite site;
    const QString start = site.buildStandardWeb();
    QTemporaryDir dir;
    Headless app(dir.path());
    ASSERT_NE(app.port(), 0);
    const auto r =
        cdtest::postJson(app.port(), "/api/crawler/start",
                         QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")}},
                                     {QStringLiteral("domain_count"), 2},
                                     {QStringLiteral("start_urls"), QJsonArray{start}},
                                     {QStringLiteral("params"), QJsonObject{{QStringLiteral("delay_ms"), 0}}}},
                         "e2e-token");
    ASSERT_EQ(r.status, 200);
    const QByteArray id = r.json().value(QStringLiteral("job_id")).toString().toUtf8();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return cdtest::getJson(app.port(), "/api/jobs/" + id, "e2e-token")
                .json()
                .value(QStringLiteral("terminal"))
                .toBool();
        },
        30000));
    const auto job = cdtest::getJson(app.port(), "/api/jobs/" + id, "e2e-token").json();
    EXPECT_EQ(job.value(QStringLiteral("status")).toString(), QStringLiteral("completed"))
        << job.value(QStringLiteral("error")).toString().toStdString();
    const QByteArray csv = cdtest::getJson(app.port(), "/api/jobs/" + id + "/artifacts/domains.csv", "e2e-token").body;
    EXPECT_TRUE(csv.contains("127.0.0.3,")) << csv.toStdString();
    EXPECT_TRUE(csv.contains("127.0.0.4,")) << csv.toStdString();
    EXPECT_EQ(app.terminate(), 0);
}

TEST(Headless, ASecondInstanceOnTheSameDataDirectoryIsRefused)
{
    QTemporaryDir dir;
    Headless first(dir.path());
    ASSERT_NE(first.port(), 0);
    QProcess second;
    second.start(QStringLiteral(CRAWLDECK_BINARY),
                 {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--listen"),
                  QStringLiteral("127.0.0.1:0")});
    ASSERT_TRUE(second.waitForFinished(10000));
    EXPECT_EQ(second.exitCode(), 1);
    EXPECT_TRUE(second.readAllStandardError().contains("already using"));
    EXPECT_EQ(first.terminate(), 0);
}

namespace {
QStringList logMessages(quint16 port, const QByteArray &id)
{
    QStringList out;
    const auto page = cdtest::getJson(port, "/api/jobs/" + id + "/logs?limit=10000", "e2e-token").json();
    for (const QJsonValue &l : page.value(QStringLiteral("lines")).toArray())
        out << l.toObject().value(QStringLiteral("message")).toString();
    return out;
}

QStringList artifactNames(quint16 port, const QByteArray &id)
{
    QStringList out;
    const auto list = cdtest::getJson(port, "/api/jobs/" + id + "/artifacts", "e2e-token").json();
    for (const QJsonValue &a : list.value(QStringLiteral("artifacts")).toArray())
        out << a.toObject().value(QStringLiteral("name")).toString();
    out.sort();
    return out;
}

QByteArray startSlowCrawl(quint16 port, const QString &startUrl)
{
    const auto r =
        cdtest::postJson(port, "/api/crawler/start",
                         QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")}},
                                     {QStringLiteral("domain_count"), 5},
                                     {QStringLiteral("start_urls"), QJsonArray{startUrl}},
                                     {QStringLiteral("params"), QJsonObject{{QStringLiteral("delay_ms"), 0},
                                                                            {QStringLiteral("max_depth"), 100}}}},
                         "e2e-token");
    EXPECT_EQ(r.status, 200) << r.body.toStdString();
    return r.json().value(QStringLiteral("job_id")).toString().toUtf8();
}
} // namespace

// Issue 8: stopping Crawldeck during a local crawl lost the job's artifacts from the API (the files
// were there, the list was empty) and its last lines.
TEST(Bug, StoppingCrawldeckMidCrawlKeepsTheJobsFilesAndLastLines)
{
    cdtest::TestSite site;
    const QString a = site.addHost(7);
    // A long chain of slow pages across the crawl: it is still busy when Crawldeck stops.
    site.addSlowChain(a, 60, 150);
    QTemporaryDir dir;
    QByteArray id;
    {
        Headless app(dir.path());
        ASSERT_NE(app.port(), 0) << app.stderrText().toStdString();
        id = startSlowCrawl(app.port(), a + QStringLiteral("/p0"));
        ASSERT_TRUE(cdtest::waitUntil(
            [&] { return logMessages(app.port(), id).join(u'\n').contains(QStringLiteral("/p3 ")); }, 20000))
            << logMessages(app.port(), id).join(u'\n').toStdString();
        EXPECT_EQ(app.terminate(), 0) << app.stderrText().toStdString();
    }
    Headless again(dir.path());
    ASSERT_NE(again.port(), 0) << again.stderrText().toStdString();
    const auto job = cdtest::getJson(again.port(), "/api/jobs/" + id, "e2e-token").json();
    EXPECT_EQ(job.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
    EXPECT_EQ(artifactNames(again.port(), id),
              (QStringList{QStringLiteral("domains.csv"), QStringLiteral("pages.jsonl")}));
    const QByteArray csv =
        cdtest::getJson(again.port(), "/api/jobs/" + id + "/artifacts/domains.csv", "e2e-token").body;
    EXPECT_TRUE(csv.contains("127.0.0.7,")) << csv.toStdString();
    // The worker's last lines, written as it wound down after the SIGTERM, are in the log.
    const QStringList log = logMessages(again.port(), id);
    const QString text = log.join(u'\n');
    EXPECT_TRUE(log.contains(QStringLiteral("[WARNING] stop requested: finishing with what was found")))
        << text.toStdString();
    EXPECT_TRUE(text.contains(QStringLiteral("[SUMMARY] {"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QStringLiteral("artifact(s) recorded"))) << text.toStdString();
    EXPECT_EQ(job.value(QStringLiteral("summary")).toObject().value(QStringLiteral("stopped_by")).toString(),
              QStringLiteral("signal"));

    // The retry runs in a fresh directory; the interrupted attempt keeps its files.
    const auto retry = cdtest::postJson(again.port(), "/api/jobs/" + id + "/retry", {}, "e2e-token");
    ASSERT_EQ(retry.status, 201) << retry.body.toStdString();
    const QByteArray second = retry.json().value(QStringLiteral("id")).toString().toUtf8();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] { return logMessages(again.port(), second).join(u'\n').contains(QStringLiteral("/p1 ")); }, 20000));
    EXPECT_EQ(again.terminate(), 0);
    Headless third(dir.path());
    ASSERT_NE(third.port(), 0);
    EXPECT_EQ(artifactNames(third.port(), id),
              (QStringList{QStringLiteral("domains.csv"), QStringLiteral("pages.jsonl")}));
    EXPECT_EQ(artifactNames(third.port(), second),
              (QStringList{QStringLiteral("domains.csv"), QStringLiteral("pages.jsonl")}));
    const auto firstPages =
        cdtest::getJson(third.port(), "/api/jobs/" + id + "/artifacts/pages.jsonl", "e2e-token").body;
    const auto secondPages =
        cdtest::getJson(third.port(), "/api/jobs/" + second + "/artifacts/pages.jsonl", "e2e-token").body;
    EXPECT_GE(firstPages.count('\n'), 4);
    EXPECT_GE(secondPages.count('\n'), 2);
    EXPECT_NE(firstPages, secondPages) << "the retry must not write into the first attempt's directory";
    EXPECT_EQ(third.terminate(), 0);
}

// Issue 8: a crash gave the job no chance to report; at restart its files are listed anyway.
TEST(Bug, RestartAfterACrashListsTheInterruptedJobsFiles)
{
    QTemporaryDir dir;
    QByteArray id;
    const QStringList profile{
        QStringLiteral("--local-profile"),
        QStringLiteral("writer=sh -c 'echo partial > {output_dir}/partial.txt; echo written; exec sleep 60'")};
    {
        Headless app(dir.path(), profile);
        ASSERT_NE(app.port(), 0) << app.stderrText().toStdString();
        const auto start = cdtest::postJson(
            app.port(), "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("writer")}}, "e2e-token");
        ASSERT_EQ(start.status, 201) << start.body.toStdString();
        id = start.json().value(QStringLiteral("id")).toString().toUtf8();
        ASSERT_TRUE(
            cdtest::waitUntil([&] { return logMessages(app.port(), id).contains(QStringLiteral("written")); }, 10000));
        EXPECT_TRUE(artifactNames(app.port(), id).isEmpty()); // still running: nothing listed yet
        app.process().kill();                                 // no chance to clean up
        app.process().waitForFinished(5000);
    }
    Headless again(dir.path(), profile);
    ASSERT_NE(again.port(), 0);
    EXPECT_EQ(
        cdtest::getJson(again.port(), "/api/jobs/" + id, "e2e-token").json().value(QStringLiteral("error")).toString(),
        QStringLiteral("interrupted by restart"));
    EXPECT_EQ(artifactNames(again.port(), id), QStringList{QStringLiteral("partial.txt")});
    EXPECT_EQ(cdtest::getJson(again.port(), "/api/jobs/" + id + "/artifacts/partial.txt", "e2e-token").body,
              "partial\n");
    EXPECT_EQ(again.terminate(), 0);
}

TEST(Headless, RetentionDaysFromTheCommandLineDeletesOldFinishedJobsAtStart)
{
    for (const char *bad : {"forever", "36501"}) {
        QProcess p;
        p.start(QStringLiteral(CRAWLDECK_BINARY),
                {QStringLiteral("--headless"), QStringLiteral("--retention-days"), QString::fromLatin1(bad)});
        ASSERT_TRUE(p.waitForFinished(5000));
        EXPECT_EQ(p.exitCode(), 2) << bad;
        EXPECT_TRUE(p.readAllStandardError().contains("--retention-days expects a number from 0 to 36500")) << bad;
    }

    QTemporaryDir dir;
    QByteArray oldId;
    QByteArray recentId;
    {
        // The data directory as an earlier run left it: two finished jobs, one long ago.
        cd::store::Database db;
        ASSERT_TRUE(db.open(dir.filePath(QStringLiteral("crawldeck.db"))));
        cd::store::JobStore jobs(&db);
        for (QByteArray *id : {&oldId, &recentId}) {
            auto j = jobs.insert(cd::model::JobSpec{});
            ASSERT_TRUE(j);
            for (auto st :
                 {cd::model::JobStatus::Starting, cd::model::JobStatus::Running, cd::model::JobStatus::Completed})
                ASSERT_TRUE(jobs.transition(j->id, st));
            *id = j->id.toUtf8();
            ASSERT_TRUE(QDir().mkpath(dir.filePath(QStringLiteral("jobs/") + j->id + QStringLiteral("/output"))));
        }
        ASSERT_TRUE(db.run(QStringLiteral("UPDATE jobs SET finished_at = ? WHERE id = ?"),
                           {cd::model::isoUtc(QDateTime::currentDateTimeUtc().addDays(-31)), QString::fromUtf8(oldId)},
                           "ageing a job"));
    }
    Headless app(dir.path(), {QStringLiteral("--retention-days"), QStringLiteral("30")});
    ASSERT_NE(app.port(), 0);
    EXPECT_TRUE(cdtest::waitUntil(
        [&] { return cdtest::getJson(app.port(), "/api/jobs/" + oldId, Headless::kToken).status == 404; }));
    EXPECT_EQ(cdtest::getJson(app.port(), "/api/jobs/" + recentId, Headless::kToken).status, 200);
    EXPECT_FALSE(QDir(dir.filePath(QStringLiteral("jobs/") + QString::fromUtf8(oldId))).exists());
    EXPECT_TRUE(QDir(dir.filePath(QStringLiteral("jobs/") + QString::fromUtf8(recentId))).exists());
    const auto metrics = cdtest::getJson(app.port(), "/metrics", Headless::kToken);
    EXPECT_TRUE(metrics.body.contains("\ncrawldeck_retention_days 30\n")) << metrics.body.toStdString();
    EXPECT_TRUE(metrics.body.contains("\ncrawldeck_retention_jobs_deleted_total 1\n"));
    EXPECT_EQ(app.terminate(), 0);
    EXPECT_TRUE(app.stderrText().contains("deleted 1 jobs")) << app.stderrText().toStdString();
}
