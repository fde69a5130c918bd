// Renders each main screen with realistic data to PNG files in <build>/tests/screens (next to the binary), for a person
// to look at. Also checks the widgets show what the data says.
#include "artifactmodel.h"
#include "delayedsession.h"
#include "jobdetailspane.h"
#include "jobtablemodel.h"
#include "jsontreemodel.h"
#include "logconsole.h"
#include "logmodel.h"
#include "mainwindow.h"
#include "sessions.h"
#include "stack.h"
#include "testutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QTableView>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {
model::Job seed(Stack &st, model::Backend backend, const QString &profile, const QStringList &keywords,
                JobStatus target, const store::JobPatch &patch = {})
{
    model::JobSpec s;
    s.backend = backend;
    s.params.insert(QStringLiteral("keywords"), QJsonArray::fromStringList(keywords));
    s.params.insert(QStringLiteral("domain_count"), 10);
    if (!profile.isEmpty())
        s.params.insert(QStringLiteral("profile"), profile);
    auto j = st.jobs->insert(s).value();
    if (target == JobStatus::Queued)
        return j;
    st.jobs->transition(j.id, JobStatus::Starting);
    st.jobs->transition(j.id, JobStatus::Running);
    if (target == JobStatus::Cancelled)
        st.jobs->transition(j.id, JobStatus::Cancelling);
    if (target != JobStatus::Running)
        st.jobs->transition(j.id, target, patch);
    else
        st.jobs->update(j.id, patch);
    return st.jobs->job(j.id).value();
}
} // namespace

TEST(Screens, MainWindowTabsWithRealisticData)
{
    Stack st(StackOptions().noListen().withProfiles({{QStringLiteral("crawler"), QStringLiteral("true")}}));
    st.scheduler->stop(); // the data below is placed, not run

    store::JobPatch runpodDone;
    runpodDone.remoteId = QStringLiteral("a1b2c3d4-e5f6-u1");
    runpodDone.remoteStatus = QStringLiteral("COMPLETED");
    runpodDone.resultsUrl = QStringLiteral("https://storage.example.com/results/result.csv");
    runpodDone.summary = QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                                     {QStringLiteral("domains_generated"),
                                      QJsonObject{{QStringLiteral("success"), 10}, {QStringLiteral("total"), 10}}},
                                     {QStringLiteral("pages"), 214},
                                     {QStringLiteral("duration_s"), 96.4},
                                     {QStringLiteral("domains"), QJsonArray{QStringLiteral("solarpanels.example"),
                                                                            QStringLiteral("sunfarm.example")}}};
    const auto done = seed(st, model::Backend::RunPod, {}, {QStringLiteral("solar"), QStringLiteral("photovoltaic")},
                           JobStatus::Completed, runpodDone);
    QDir().mkpath(st.artifacts->outputDir(done.id));
    for (const auto &[name, body] : {std::pair{"output.json", QByteArray("{\"status\":\"success\"}")},
                                     std::pair{"domains.txt", QByteArray("solarpanels.example\nsunfarm.example\n")},
                                     std::pair{"result.csv", QByteArray(4096, 'x')}}) {
        QFile f(st.artifacts->outputDir(done.id) + u'/' + QLatin1String(name));
        f.open(QIODevice::WriteOnly);
        f.write(body);
    }
    st.artifacts->collect(done.id);
    st.bus->append(done.id, model::LogSource::RunPod,
                   QStringList{QStringLiteral("[INFO] Progress: 100% - 10/10 domains"),
                               QStringLiteral("[SUCCESS] Generation completed!")});

    store::JobPatch failedPatch =
        store::JobPatch::withError(QStringLiteral("exit code 4: [ERROR] upstream refused the connection"));
    failedPatch.exitCode = 4;
    seed(st, model::Backend::Local, QStringLiteral("scrapy"), {QStringLiteral("heat pumps")}, JobStatus::Failed,
         failedPatch);
    seed(st, model::Backend::RunPodPod, {}, {QStringLiteral("wind")}, JobStatus::Cancelled,
         store::JobPatch::withError(QStringLiteral("cancelled")));
    seed(st, model::Backend::Local, QStringLiteral("crawler"), {QStringLiteral("tides")}, JobStatus::Queued);
    store::JobPatch progress;
    progress.progress = 42;
    const auto running = seed(st, model::Backend::Local, QStringLiteral("crawler"),
                              {QStringLiteral("solar"), QStringLiteral("café")}, JobStatus::Running, progress);
    QStringList lines;
    for (int i = 1; i <= 2000; ++i) {
        if (i % 250 == 0)
            lines << QStringLiteral("[SUCCESS] found domain-%1.example (solar) at https://domain-%1.example/about")
                         .arg(i / 250);
        else if (i % 97 == 0)
            lines << QStringLiteral("[WARNING] https://slow-%1.example/: timed out after 15 s").arg(i);
        else if (i == 1501)
            lines << QStringLiteral("[ERROR] robots.txt of https://down.example unavailable (HTTP 503)");
        else
            lines << QStringLiteral("[DEBUG] 200 https://site-%1.example/page/%2 (depth 2, 31 links, utf-8)")
                         .arg(i % 17)
                         .arg(i);
    }
    lines << QStringLiteral("[INFO] Progress: 42% - 8/19 domains");
    st.bus->append(running.id, model::LogSource::Stdout, lines);

    const auto session = cdtest::localSession(st);
    ui::MainWindow w(session.get());
    w.setServerInfo(QStringLiteral("http://127.0.0.1:8000"), {});
    w.resize(1280, 820);
    w.show();
    w.selectJob(running.id);
    EXPECT_EQ(w.details()->console()->model()->rowCount(), 2001);
    ASSERT_EQ(
        cdtest::searched(*w.details()->console(), [&] { w.details()->console()->find(QStringLiteral("robots.txt")); }),
        true);
    EXPECT_EQ(w.details()->console()->model()->seqForRow(w.details()->console()->currentRow()), 1501);
    cdtest::spin(100);
    const QString dir = cdtest::screensDir();
    EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/main-log.png")));

    w.selectJob(done.id);
    w.details()->setCurrentIndex(1);
    EXPECT_EQ(w.details()->summaryModel()->rowCount(), 5);
    cdtest::spin(50);
    EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/main-summary.png")));
    w.details()->setCurrentIndex(2);
    EXPECT_EQ(w.details()->artifactModel()->rowCount(), 3);
    cdtest::spin(50);
    EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/main-artifacts.png")));
    w.details()->setCurrentIndex(3);
    EXPECT_TRUE(w.details()->detailsHtml().contains(QStringLiteral("a1b2c3d4-e5f6-u1")));
    cdtest::spin(50);
    EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/main-details.png")));
}

// The log console while its blocks are on their way from a slow session: placeholder rows, then the
// lines.
TEST(Screens, LogConsoleWhileBlocksAreOnTheirWay)
{
    Stack st(StackOptions().noListen());
    model::JobSpec s;
    s.backend = model::Backend::RunPod; // no runner here: only the lines below
    const auto job = st.jobs->insert(s).value();
    QStringList lines;
    for (int i = 1; i <= 3000; ++i)
        lines << (i % 7 == 0 ? QStringLiteral("[WARNING] slow answer from https://site-%1.example/").arg(i)
                             : QStringLiteral("[INFO] fetched https://site-%1.example/page/%2").arg(i % 13).arg(i));
    st.bus->append(job.id, model::LogSource::Stdout, lines);
    st.logs->flush();
    cdtest::DelayedSession session(cdtest::localSession(st), 300);
    ui::LogConsole console(&session);
    console.resize(1000, 360);
    console.show();
    console.setJob(job.id);
    ui::LogModel *m = console.model();
    ASSERT_TRUE(cdtest::waitUntil([&] { return m->isLoaded() && m->rowCount() == 3000; }));
    const QString dir = cdtest::screensDir();
    cdtest::spin(50);
    EXPECT_TRUE(console.grab().save(dir + QStringLiteral("/log-loading.png")));
    EXPECT_TRUE(m->index(2999).data(ui::LogModel::PendingRole).toBool());
    EXPECT_EQ(m->index(2999).data().toString(), ui::LogModel::kPlaceholder);
    ASSERT_TRUE(cdtest::waitUntil([&] { return !m->index(2999).data(ui::LogModel::PendingRole).toBool(); }));
    cdtest::spin(50);
    EXPECT_TRUE(console.grab().save(dir + QStringLiteral("/log-loaded.png")));
    EXPECT_EQ(m->index(2999).data(ui::LogModel::MessageRole).toString(), lines.last());
}
