// Drives the real `crawldeck --headless` binary as a child process over loopback HTTP.
#include "headless.h"
#include "testsite.h"
#include "testutil.h"

#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
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
    cdtest::SseClient sse(app.port(), "/api/crawler/logs/" + id);
    auto post = [&](const QString &m) {
        return cdtest::postJson(
                   app.port(), "/api/crawler/log",
                   QJsonObject{{QStringLiteral("job_id"), QString::fromUtf8(id)}, {QStringLiteral("message"), m}})
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
            return cdtest::getJson(app.port(), "/api/jobs/" + id).json().value(QStringLiteral("status")).toString() ==
                   QStringLiteral("running");
        }));
        app.process().kill(); // no chance to clean up
        app.process().waitForFinished(5000);
    }
    Headless again(dir.path(), {QStringLiteral("--local-profile"), QStringLiteral("long=sleep 60")});
    ASSERT_NE(again.port(), 0);
    const auto job = cdtest::getJson(again.port(), "/api/jobs/" + id).json();
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
    const QByteArray err = q.readAllStandardError();
    EXPECT_TRUE(err.contains("generated an API token")) << err.toStdString();
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
            return cdtest::getJson(app.port(), "/api/jobs/" + id).json().value(QStringLiteral("terminal")).toBool();
        },
        30000));
    const auto job = cdtest::getJson(app.port(), "/api/jobs/" + id).json();
    EXPECT_EQ(job.value(QStringLiteral("status")).toString(), QStringLiteral("completed"))
        << job.value(QStringLiteral("error")).toString().toStdString();
    const QByteArray csv = cdtest::getJson(app.port(), "/api/jobs/" + id + "/artifacts/domains.csv").body;
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
