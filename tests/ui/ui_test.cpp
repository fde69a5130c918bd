#include "artifactmodel.h"
#include "jobdetailspane.h"
#include "jobfilterproxy.h"
#include "jobs/jobspec.h"
#include "jobtablemodel.h"
#include "jsontreemodel.h"
#include "logconsole.h"
#include "logmodel.h"
#include "mainwindow.h"
#include "newjobdialog.h"
#include "sessions.h"
#include "settings/settings.h"
#include "settingsdialog.h"
#include "stack.h"
#include "testsite.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {
QMap<QString, QString> profiles()
{
    return {{QStringLiteral("crawler"),
             QStringLiteral("sh -c 'for i in 1 2 3; do echo \"[INFO] Progress: $((i*33))%\"; done'")},
            {QStringLiteral("long"), QStringLiteral("sleep 30")},
            {QStringLiteral("fail"), QStringLiteral("sh -c 'echo \"[ERROR] upstream refused\"; exit 4'")}};
}

model::JobSpec spec(const QString &profile)
{
    model::JobSpec s;
    s.params.insert(QStringLiteral("profile"), profile);
    s.params.insert(QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")});
    return s;
}

qint64 rssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &l : f.readAll().split('\n'))
        if (l.startsWith("VmRSS:"))
            return l.mid(6).trimmed().split(' ').value(0).toLongLong();
    return 0;
}

// Runs `act` on the next modal dialog once it is open (offscreen dialogs still run exec()).
void onNextDialog(const std::function<void(QWidget *)> &act)
{
    QTimer::singleShot(50, qApp, [act] {
        QWidget *w = QApplication::activeModalWidget();
        if (w)
            act(w);
    });
}

} // namespace

TEST(JobTableModel, LiveInsertsBatchedUpdatesAndPaging)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    model::JobSpec filler = spec(QStringLiteral("long"));
    filler.backend = model::Backend::RunPod; // no runner here: they stay queued
    for (int i = 0; i < ui::JobTableModel::kPage * 2 + 50; ++i)
        st.jobs->insert(filler);
    const auto session = cdtest::localSession(st);
    ui::JobTableModel model(session.get());
    EXPECT_EQ(model.rowCount(), ui::JobTableModel::kPage);
    ASSERT_TRUE(model.canFetchMore({}));
    model.fetchMore({});
    EXPECT_EQ(model.rowCount(), ui::JobTableModel::kPage * 2);
    // The tester pages in the rest itself (it calls fetchMore while checking).
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    while (model.canFetchMore({}))
        model.fetchMore({});
    EXPECT_EQ(model.rowCount(), ui::JobTableModel::kPage * 2 + 50);
    EXPECT_FALSE(model.canFetchMore({}));

    int changes = 0;
    QObject ctx;
    QObject::connect(&model, &QAbstractItemModel::dataChanged, &ctx, [&](const QModelIndex &tl, const QModelIndex &br) {
        EXPECT_EQ(tl.row(), br.row()); // one row at a time, never a reset
        ++changes;
    });
    const auto a = st.scheduler->submit(spec(QStringLiteral("crawler"))).value();
    EXPECT_EQ(model.rowOf(a.id), 0); // newest first
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(a.id)->status == JobStatus::Completed; }));
    model.flushUpdates();
    EXPECT_GT(changes, 0);
    EXPECT_LT(changes, 6); // status and progress changes arrive batched
    const int row = model.rowOf(a.id);
    EXPECT_TRUE(model.index(row, ui::JobTableModel::Status).data().toString().endsWith(QStringLiteral("completed")));
    EXPECT_EQ(model.index(row, ui::JobTableModel::Progress).data(ui::JobTableModel::ProgressRole).toInt(), 100);
}

// Issue 8: a crawl that found fewer domains than asked showed as plain "completed".
TEST(Bug, PartialCrawlShowsAsCompletedPartialInTheTableAndDetails)
{
    Stack st(StackOptions().noListen().withProfiles(
        {{QStringLiteral("short"),
          QStringLiteral(
              R"(sh -c 'echo "[SUMMARY] {\"status\":\"partial\",\"partial\":true,\"stopped_by\":\"page_budget\"}"')")},
         {QStringLiteral("whole"), QStringLiteral(R"(sh -c 'echo "[SUMMARY] {\"status\":\"success\"}"')")}}));
    const auto session = cdtest::localSession(st);
    ui::JobTableModel model(session.get());
    ui::JobDetailsPane pane(session.get());
    const auto shortOf = st.scheduler->submit(spec(QStringLiteral("short"))).value();
    const auto whole = st.scheduler->submit(spec(QStringLiteral("whole"))).value();
    for (const auto &j : {shortOf, whole})
        ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(j.id)->status == JobStatus::Completed; }));
    ASSERT_TRUE(cdtest::waitUntil([&] { return !st.jobs->job(shortOf.id)->summary.isEmpty(); }));
    model.flushUpdates();
    const auto status = [&](const QString &id, int role) {
        return model.index(model.rowOf(id), ui::JobTableModel::Status).data(role).toString();
    };
    EXPECT_TRUE(status(shortOf.id, Qt::DisplayRole).endsWith(QStringLiteral("completed · partial")))
        << status(shortOf.id, Qt::DisplayRole).toStdString();
    EXPECT_EQ(status(shortOf.id, Qt::ToolTipRole), QStringLiteral("stopped by page_budget"));
    EXPECT_TRUE(status(whole.id, Qt::DisplayRole).endsWith(QStringLiteral("completed")));
    EXPECT_FALSE(status(whole.id, Qt::DisplayRole).contains(QStringLiteral("partial")));
    pane.setJob(shortOf.id);
    EXPECT_TRUE(pane.detailsHtml().contains(QStringLiteral("completed (partial)"))) << pane.detailsHtml().toStdString();
    EXPECT_TRUE(pane.detailsHtml().contains(QStringLiteral("stopped by page_budget")));
    pane.setJob(whole.id);
    EXPECT_FALSE(pane.detailsHtml().contains(QStringLiteral("partial")));
}

TEST(JobFilterProxy, UsesTheSameFilterAsTheApi)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto done = st.scheduler->submit(spec(QStringLiteral("crawler"))).value();
    const auto failed = st.scheduler->submit(spec(QStringLiteral("fail"))).value();
    ASSERT_TRUE(cdtest::waitUntil([&] {
        return st.jobs->job(done.id)->status == JobStatus::Completed &&
               st.jobs->job(failed.id)->status == JobStatus::Failed;
    }));
    const auto session = cdtest::localSession(st);
    ui::JobTableModel model(session.get());
    ui::JobFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    EXPECT_EQ(proxy.rowCount(), 2);
    model::JobFilter f;
    f.statuses = {JobStatus::Failed};
    proxy.setFilter(f);
    ASSERT_EQ(proxy.rowCount(), 1);
    EXPECT_EQ(proxy.index(0, 0).data(ui::JobTableModel::JobIdRole).toString(), failed.id);
    f = {};
    f.text = QStringLiteral("upstream"); // matches the error text
    proxy.setFilter(f);
    EXPECT_EQ(proxy.rowCount(), 1);
    f = {};
    f.backend = model::Backend::RunPod;
    proxy.setFilter(f);
    EXPECT_EQ(proxy.rowCount(), 0);
}

TEST(LogModel, AMillionLinesStayVirtualAndSearchable)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.jobs->insert(spec(QStringLiteral("long"))).value();
    const int total = 1000000;
    QStringList batch;
    for (int i = 0; i < total; ++i) {
        batch << (i % 100000 == 99999 ? QStringLiteral("[ERROR] failure number %1").arg(i)
                                      : QStringLiteral("[INFO] line %1 of the big log").arg(i));
        if (batch.size() == 1000) {
            st.bus->append(job.id, model::LogSource::Stdout, batch);
            batch.clear();
        }
    }
    st.logs->flush();
    const qint64 before = rssKb();
    const auto session = cdtest::localSession(st);
    ui::LogModel model(session.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
    model.setJob(job.id);
    EXPECT_EQ(model.rowCount(), total);
    // Touch rows all over the log: only a bounded number of blocks stays in memory.
    for (int r = 0; r < total; r += 997)
        ASSERT_FALSE(model.index(r).data().toString().isEmpty());
    EXPECT_LE(model.cachedBlocks(), ui::LogModel::kMaxBlocks);
    EXPECT_TRUE(model.index(123456).data(ui::LogModel::MessageRole).toString() ==
                QStringLiteral("[INFO] line 123456 of the big log"));
    EXPECT_LT(rssKb() - before, 64 * 1024) << "memory added by the log model (KiB)";

    EXPECT_EQ(cdtest::rowFrom([&](auto done) { model.firstError(done); }), 99999);
    EXPECT_EQ(cdtest::rowFrom([&](auto done) { model.find(QStringLiteral("failure number"), 99999, true, done); }),
              199999);
    EXPECT_EQ(cdtest::rowFrom([&](auto done) { model.find(QStringLiteral("FAILURE number"), 199999, false, done); }),
              99999);
    EXPECT_EQ(cdtest::rowFrom([&](auto done) { model.find(QStringLiteral("nowhere"), 0, true, done); }), -1);

    model.setLevelFilter({model::LogLevel::Error});
    EXPECT_EQ(model.rowCount(), 10);
    EXPECT_EQ(model.seqForRow(0), 100000);
    st.bus->append(job.id, model::LogSource::Stdout,
                   QStringList{QStringLiteral("[INFO] live"), QStringLiteral("[ERROR] live error")});
    EXPECT_EQ(model.rowCount(), 10); // lines reach the model once committed
    st.logs->flush();
    ASSERT_EQ(model.rowCount(), 11);
    EXPECT_EQ(model.index(10).data(ui::LogModel::MessageRole).toString(), QStringLiteral("[ERROR] live error"));
    model.setLevelFilter({});
    EXPECT_EQ(model.rowCount(), total + 2);
    model.setShowTimestamps(false);
    EXPECT_EQ(model.index(total + 1).data().toString(), QStringLiteral("[ERROR] live error"));
}

TEST(JsonTreeAndArtifactModels, PassTheModelTester)
{
    ui::JsonTreeModel json;
    QAbstractItemModelTester t1(&json, QAbstractItemModelTester::FailureReportingMode::Fatal);
    json.setJson(QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                             {QStringLiteral("domains_generated"),
                              QJsonObject{{QStringLiteral("success"), 5}, {QStringLiteral("total"), 5}}},
                             {QStringLiteral("list"), QJsonArray{1, 2, QJsonObject{{QStringLiteral("x"), true}}}}});
    EXPECT_EQ(json.rowCount(), 3);
    const QModelIndex dg = json.index(0, 0);
    EXPECT_EQ(dg.data().toString(), QStringLiteral("domains_generated"));
    EXPECT_EQ(json.rowCount(dg), 2);

    Stack st(StackOptions().noListen().withProfiles(
        {{QStringLiteral("writer"), QStringLiteral("sh -c 'echo a > a.txt; mkdir d; echo bb > d/b.csv'")}}));
    const auto job = st.scheduler->submit(spec(QStringLiteral("writer"))).value();
    const auto session = cdtest::localSession(st);
    ui::ArtifactModel arts(session.get());
    QAbstractItemModelTester t2(&arts, QAbstractItemModelTester::FailureReportingMode::Fatal);
    arts.setJob(job.id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return arts.rowCount() == 2; }));
    EXPECT_EQ(arts.index(1, ui::ArtifactModel::Name).data().toString(), QStringLiteral("d/b.csv"));
}

TEST(NewJobDialog, BuildsTheSpecForTheChosenBackendWithAdvancedParams)
{
    ui::NewJobDialog dlg({{model::Backend::Local, true, {}},
                          {model::Backend::RunPod, false, QStringLiteral("set RUNPOD_ENDPOINT_URL")},
                          {model::Backend::RunPodPod, true, {}}},
                         {QStringLiteral("crawler"), QStringLiteral("scrapy")});
    auto *keywords = dlg.findChildren<QLineEdit *>().value(0);
    const auto edits = dlg.findChildren<QPlainTextEdit *>();
    ASSERT_EQ(edits.size(), 2);
    EXPECT_TRUE(std::holds_alternative<QString>(dlg.spec()));
    keywords->setText(QStringLiteral("solar panels, heat pumps"));
    edits.at(1)->setPlainText(QStringLiteral("{\"max_pages\": 50"));
    ASSERT_TRUE(std::holds_alternative<QString>(dlg.spec()));
    EXPECT_TRUE(std::get<QString>(dlg.spec()).contains(QStringLiteral("Extra params")));
    edits.at(1)->setPlainText(QStringLiteral("{\"max_pages\": 50}"));
    const auto s = std::get<model::JobSpec>(dlg.spec());
    EXPECT_EQ(s.backend, model::Backend::Local);
    EXPECT_EQ(s.params.value(QStringLiteral("keywords")).toArray().size(), 2);
    EXPECT_EQ(s.params.value(QStringLiteral("max_pages")).toInt(), 50);
    EXPECT_EQ(s.params.value(QStringLiteral("profile")).toString(), QStringLiteral("crawler"));
    auto *backend = dlg.findChildren<QComboBox *>().value(0);
    backend->setCurrentIndex(2);
    const auto pod = std::get<model::JobSpec>(dlg.spec());
    EXPECT_EQ(pod.backend, model::Backend::RunPodPod);
    EXPECT_FALSE(pod.params.contains(QStringLiteral("profile")));
    dlg.adjustSize();
    dlg.grab().save(cdtest::screensDir() + QStringLiteral("/newjob.png"));
}

// The dialog refuses what the HTTP API refuses, with the same words: it runs the same validation
// (jobs::fromJson, then what the scheduler checks before it stores a job).
TEST(NewJobDialog, UsesTheSameValidationAsTheApi)
{
    Stack st(StackOptions().noListen().withProfiles(
        {{QStringLiteral("crawler"),
          QStringLiteral("crawldeck worker crawl --params {params_file} --output {output_dir}")},
         {QStringLiteral("other"), QStringLiteral("true")}}));
    const auto session = cdtest::localSession(st);
    ui::NewJobDialog dlg({{model::Backend::Local, true, {}}}, {QStringLiteral("crawler"), QStringLiteral("other")},
                         session.get());
    auto *keywords = dlg.findChildren<QLineEdit *>().value(0);
    const auto edits = dlg.findChildren<QPlainTextEdit *>();
    ASSERT_EQ(edits.size(), 2);
    QPushButton *ok = dlg.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    keywords->setText(QStringLiteral("solar"));
    edits.at(0)->setPlainText(QStringLiteral("http://127.0.0.1:9/"));

    // What the API would say for the same body, through the same two steps.
    auto apiSays = [&](const QJsonObject &params) {
        QJsonObject body = dlg.body();
        body.insert(QStringLiteral("params"), params);
        const auto spec = jobs::fromJson(body, jobs::Origin::Api);
        if (!spec)
            return spec.error().detail;
        const auto st2 = st.scheduler->validate(spec.value());
        return st2 ? QString() : st2.error().detail;
    };
    const int jobsBefore = static_cast<int>(st.jobs->jobs({}).size());

    edits.at(1)->setPlainText(QStringLiteral("{\"max_pages\": \"lots\"}"));
    ASSERT_TRUE(std::holds_alternative<QString>(dlg.spec()));
    const QString lots = std::get<QString>(dlg.spec());
    EXPECT_TRUE(lots.contains(QStringLiteral("'max_pages'"))) << lots.toStdString();
    EXPECT_EQ(lots, apiSays(QJsonObject{{QStringLiteral("max_pages"), QStringLiteral("lots")}}));
    EXPECT_FALSE(ok->isEnabled());

    edits.at(1)->setPlainText(QStringLiteral("{\"max_page\": 10}"));
    const QString typo = std::get<QString>(dlg.spec());
    EXPECT_TRUE(typo.contains(QStringLiteral("did you mean 'max_pages'?"))) << typo.toStdString();
    EXPECT_EQ(typo, apiSays(QJsonObject{{QStringLiteral("max_page"), 10}}));
    EXPECT_FALSE(ok->isEnabled());

    edits.at(1)->setPlainText(QStringLiteral("{\"keywords\": [\"wind\"]}"));
    EXPECT_TRUE(std::get<QString>(dlg.spec()).contains(QStringLiteral("'keywords'")));

    // Another profile's params are free-form.
    dlg.findChildren<QComboBox *>().value(1)->setCurrentText(QStringLiteral("other"));
    edits.at(1)->setPlainText(QStringLiteral("{\"max_page\": 10}"));
    ASSERT_TRUE(std::holds_alternative<model::JobSpec>(dlg.spec())) << std::get<QString>(dlg.spec()).toStdString();
    EXPECT_TRUE(ok->isEnabled());

    dlg.findChildren<QComboBox *>().value(1)->setCurrentText(QStringLiteral("crawler"));
    edits.at(1)->setPlainText(QStringLiteral("{\"max_pages\": 20}"));
    const auto spec = std::get<model::JobSpec>(dlg.spec());
    EXPECT_EQ(spec.params.value(QStringLiteral("max_pages")).toInt(), 20);
    EXPECT_EQ(spec.params.value(QStringLiteral("start_urls")).toArray().size(), 1);
    EXPECT_TRUE(ok->isEnabled());
    // Validating stores nothing.
    EXPECT_EQ(st.jobs->jobs({}).size(), jobsBefore);
}

TEST(MainWindow, DialogCancelRetryAndCloneWorkThroughCore)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto session = cdtest::localSession(st);
    ui::MainWindow w(session.get());
    w.setServerInfo(QStringLiteral("http://127.0.0.1:8000"), {});
    w.setConfirm([](const QString &) { return true; });
    w.show();

    onNextDialog([](QWidget *d) {
        d->findChildren<QLineEdit *>().value(0)->setText(QStringLiteral("wind, tides"));
        d->findChildren<QComboBox *>().value(1)->setCurrentText(QStringLiteral("long"));
        d->findChildren<QSpinBox *>().value(0)->setValue(7);
        static_cast<QDialog *>(d)->accept();
    });
    w.newJob();
    const auto jobs = st.jobs->jobs({});
    ASSERT_EQ(jobs.size(), 1);
    const auto created = jobs.first();
    EXPECT_EQ(created.backend, model::Backend::Local);
    EXPECT_EQ(created.params.value(QStringLiteral("profile")).toString(), QStringLiteral("long"));
    EXPECT_EQ(created.params.value(QStringLiteral("domain_count")).toInt(), 7);
    EXPECT_EQ(created.params.value(QStringLiteral("keywords")).toArray(),
              (QJsonArray{QStringLiteral("wind"), QStringLiteral("tides")}));
    EXPECT_EQ(w.selectedJobId(), created.id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(created.id)->status == JobStatus::Running; }));

    w.cancelJob();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(created.id)->status == JobStatus::Cancelled; }));
    w.retryJob();
    ASSERT_EQ(st.jobs->retriesOf(created.id).size(), 1);
    const auto retry = st.jobs->retriesOf(created.id).first();
    EXPECT_EQ(w.selectedJobId(), retry.id);
    EXPECT_EQ(retry.attempt, 2);

    onNextDialog([](QWidget *d) {
        // Pre-filled from the selected job.
        EXPECT_EQ(d->findChildren<QLineEdit *>().value(0)->text(), QStringLiteral("wind, tides"));
        EXPECT_EQ(d->findChildren<QComboBox *>().value(1)->currentText(), QStringLiteral("long"));
        static_cast<QDialog *>(d)->accept();
    });
    w.cloneJob();
    EXPECT_EQ(st.jobs->jobs({}).size(), 3);
    EXPECT_EQ(st.jobs->job(w.selectedJobId())->params, created.params);
    st.scheduler->stop();
}

TEST(LogConsole, SearchFindsTheRightLineAndSavesTheLog)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.jobs->insert(spec(QStringLiteral("long"))).value();
    QStringList lines;
    for (int i = 1; i <= 5000; ++i)
        lines << (i == 4321 ? QStringLiteral("[WARNING] the needle is here") : QStringLiteral("[INFO] hay %1").arg(i));
    st.bus->append(job.id, model::LogSource::Stdout, lines);
    const auto session = cdtest::localSession(st);
    ui::LogConsole console(session.get());
    console.resize(900, 400);
    console.setJob(job.id);
    EXPECT_TRUE(console.following());
    ASSERT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("NEEDLE")); }), true);
    EXPECT_EQ(console.model()->seqForRow(console.currentRow()), 4321);
    EXPECT_FALSE(console.following()); // a search result stops following
    EXPECT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("no such text")); }), false);
    EXPECT_TRUE(console.selectedText().endsWith(QStringLiteral("[WARNING] the needle is here")));
    QTemporaryDir dir;
    const auto saved = cdtest::await<cd::Ok>([&](QObject *, cd::session::Reply<cd::Ok> done) {
        console.saveTo(dir.filePath(QStringLiteral("log.txt")), done);
    });
    ASSERT_TRUE(saved && saved->ok());
    QFile f(dir.filePath(QStringLiteral("log.txt")));
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_EQ(f.readAll().count('\n'), 5000);
}

TEST(SettingsDialog, RoundTripsThroughTheSettingsFacade)
{
    QTemporaryDir dir;
    settings::Settings s(dir.path(), {}, QProcessEnvironment());
    {
        ui::SettingsDialog dlg(&s);
        dlg.hostEdit()->setText(QStringLiteral("0.0.0.0"));
        dlg.portEdit()->setValue(8123);
        QTableWidget *t = dlg.profilesTable();
        const int r = t->rowCount();
        t->insertRow(r);
        t->setItem(r, 0, new QTableWidgetItem(QStringLiteral("scrapy")));
        t->setItem(r, 1, new QTableWidgetItem(QStringLiteral("scrapy crawl x")));
        EXPECT_TRUE(dlg.save().isEmpty());
        dlg.adjustSize();
        dlg.grab().save(cdtest::screensDir() + QStringLiteral("/settings.png"));
    }
    settings::Settings again(dir.path(), {}, QProcessEnvironment());
    EXPECT_EQ(again.listen().host, QStringLiteral("0.0.0.0"));
    EXPECT_EQ(again.listen().port, 8123);
    EXPECT_EQ(again.localProfiles().value(QStringLiteral("scrapy")), QStringLiteral("scrapy crawl x"));
    ui::SettingsDialog bad(&again);
    bad.hostEdit()->setText(QStringLiteral("not an address"));
    EXPECT_FALSE(bad.save().isEmpty());
    EXPECT_EQ(settings::Settings(dir.path(), {}, QProcessEnvironment()).listen().port, 8123);
}

// Issue 8: with --listen given, changing the port in Settings silently did nothing, and OK wrote
// environment-provided values (RUNPOD_ENDPOINT_URL) into the ini.
TEST(Bug, SettingsOverriddenByCommandLineOrEnvironmentAreReadOnlyAndNeverSaved)
{
    QTemporaryDir dir;
    settings::Overrides cli;
    cli.listen = QStringLiteral("127.0.0.1:9555");
    cli.localProfiles.insert(QStringLiteral("adhoc"), QStringLiteral("echo from-the-command-line"));
    QProcessEnvironment env;
    env.insert(QStringLiteral("RUNPOD_ENDPOINT_URL"), QStringLiteral("https://api.runpod.ai/v2/from-env"));
    settings::Settings s(dir.path(), cli, env);
    {
        ui::SettingsDialog dlg(&s);
        EXPECT_EQ(dlg.overrideNote(settings::Setting::Listen), QStringLiteral("set by --listen"));
        EXPECT_EQ(dlg.overrideNote(settings::Setting::RunpodEndpoint), QStringLiteral("set by RUNPOD_ENDPOINT_URL"));
        EXPECT_EQ(dlg.overrideNote(settings::Setting::PublicUrl), QString());
        EXPECT_FALSE(dlg.portEdit()->isEnabled());
        EXPECT_FALSE(dlg.hostEdit()->isEnabled());
        EXPECT_EQ(dlg.portEdit()->value(), 9555); // what is in effect is what is shown
        QTableWidget *t = dlg.profilesTable();
        const auto adhoc = t->findItems(QStringLiteral("adhoc"), Qt::MatchExactly);
        ASSERT_EQ(adhoc.size(), 1);
        EXPECT_FALSE(adhoc.first()->flags() & Qt::ItemIsEditable);
        EXPECT_TRUE(dlg.save().isEmpty());
    }
    QFile ini(s.settingsFile());
    ASSERT_TRUE(ini.open(QIODevice::ReadOnly));
    const QByteArray text = ini.readAll();
    EXPECT_FALSE(text.contains("from-env")) << text.toStdString();
    EXPECT_FALSE(text.contains("9555")) << text.toStdString();
    EXPECT_FALSE(text.contains("from-the-command-line")) << text.toStdString();
    settings::Settings plain(dir.path(), {}, QProcessEnvironment());
    EXPECT_EQ(plain.listen().port, 8000);
    EXPECT_TRUE(plain.runpodEndpoint().isEmpty());
    EXPECT_FALSE(plain.localProfiles().contains(QStringLiteral("adhoc")));
    // Without the overrides the same form edits and saves them.
    ui::SettingsDialog free(&plain);
    EXPECT_TRUE(free.portEdit()->isEnabled());
    EXPECT_EQ(free.overrideNote(settings::Setting::Listen), QString());
}

TEST(ArtifactModel, ShowsResultDownloadsWithProgressUntilTheyLand)
{
    cdtest::TestSite site;
    const QString host = site.addHost(7);
    cdtest::TestSite::Page big;
    big.contentType = "application/octet-stream";
    big.body = QByteArray(3 * 1024 * 1024, 'r');
    site.setPage(host, QStringLiteral("/big.bin"), big);

    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.jobs->insert(spec(QStringLiteral("long"))).value();
    const auto session = cdtest::localSession(st);
    ui::ArtifactModel model(session.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setJob(job.id); // the session brings the service's downloads
    QStringList seen;
    QObject ctx;
    QObject::connect(&model, &QAbstractItemModel::rowsInserted, &ctx, [&](const QModelIndex &, int first, int) {
        seen << model.index(first, ui::ArtifactModel::Source).data().toString();
    });
    bool done = false;
    QCoro::connect(st.results->collect(
                       job.id, QJsonObject{{QStringLiteral("result_url"), QString(host + QStringLiteral("/big.bin"))}}),
                   &ctx, [&](const artifacts::CollectReport &r) {
                       EXPECT_TRUE(r.failed.isEmpty()) << r.failed.join(u';').toStdString();
                       done = true;
                   });
    ASSERT_TRUE(cdtest::waitUntil([&] { return done; }, 20000));
    ASSERT_FALSE(seen.isEmpty());
    EXPECT_TRUE(seen.first().startsWith(QStringLiteral("downloading")));
    EXPECT_EQ(model.downloadsInFlight(), 0);
    st.artifacts->collect(job.id);
    model.refresh();
    QStringList names;
    for (int r = 0; r < model.rowCount(); ++r)
        names << model.index(r, ui::ArtifactModel::Name).data().toString();
    EXPECT_TRUE(names.contains(QStringLiteral("big.bin")));
    EXPECT_EQ(model.artifactAt(names.indexOf(QStringLiteral("big.bin")))->size, 3 * 1024 * 1024);
}
